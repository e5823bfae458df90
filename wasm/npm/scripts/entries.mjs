// Writes the package's entry points next to wasm-bindgen's output in `dist`:
//   index.js       default entry: the wasm inlined as base64 and instantiated
//                  synchronously (no top-level await, no .wasm import to resolve)
//   slim.js        the same API with an explicit `init(urlOrBytes)`, for users who
//                  fetch the .wasm file themselves
//   node/index.mjs ESM wrapper of the nodejs (CommonJS) output
//   *.d.ts         the types, shared by every entry
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dist = process.argv[2];
const web = join(dist, 'web');

// wasm-bindgen's glue throws a bare Error when an object is used after free() (or
// re-entered while borrowed); give it a stable code like every other error.
const bareThrow = 'throw new Error(getStringFromWasm0(arg0, arg1));';
const codedThrow =
  "{ const error = new Error(getStringFromWasm0(arg0, arg1)); " +
  "error.code = /null pointer|moved value/.test(error.message) ? 'ERR_USE_AFTER_FREE' : 'ERR_INVALID_USE'; " +
  'throw error; }';
for (const file of [join(web, 'converge_wasm.js'), join(dist, 'node', 'converge_wasm.cjs')]) {
  const text = readFileSync(file, 'utf8');
  if (!text.includes(bareThrow)) throw new Error(`wasm-bindgen glue changed: update entries.mjs (${file})`);
  writeFileSync(file, text.replaceAll(bareThrow, codedThrow));
}
const types = readFileSync(join(web, 'converge_wasm.d.ts'), 'utf8');

// The names the module exports, read off its type declarations.
const names = [...types.matchAll(/^export (?:class|function|const|enum) (\w+)/gm)]
  .map((m) => m[1])
  .filter((n) => n !== 'initSync' && n !== 'default');

// The default entry imports a copy of the glue without its `new URL(...wasm...)`
// fallback, so bundlers do not emit the .wasm file beside a bundle that inlines it.
const glue = readFileSync(join(web, 'converge_wasm.js'), 'utf8');
const fetchLine = "new URL('converge_wasm_bg.wasm', import.meta.url)";
if (!glue.includes(fetchLine)) throw new Error('wasm-bindgen glue changed: update entries.mjs');
mkdirSync(join(dist, 'inline'), { recursive: true });
writeFileSync(
  join(dist, 'inline', 'converge_wasm.js'),
  glue.replace(fetchLine, "undefined /* the default entry passes the inlined bytes */"),
);

const wasm = readFileSync(join(web, 'converge_wasm_bg.wasm'));
writeFileSync(
  join(dist, 'index.js'),
  `// converge: default entry. The wasm is inlined and instantiated synchronously on
// import, so bundlers and browsers need no plugin, loader or top-level await.
import { initSync } from './inline/converge_wasm.js';
const base64 = ${JSON.stringify(wasm.toString('base64'))};
function decode(text) {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
initSync({ module: decode(base64) });
export { ${names.join(', ')} } from './inline/converge_wasm.js';
`,
);

writeFileSync(
  join(dist, 'slim.js'),
  `// converge/slim: the same API, without the inlined wasm. Call \`await init()\`
// (it fetches converge_wasm_bg.wasm next to this file) or \`init(urlOrBytes)\`
// before using anything else.
import init, { initSync } from './web/converge_wasm.js';
export default init;
export { init, initSync };
export { ${names.join(', ')} } from './web/converge_wasm.js';
`,
);

writeFileSync(
  join(dist, 'node', 'index.mjs'),
  `// converge for Node's import: the nodejs build, loaded synchronously.
import { createRequire } from 'node:module';
const converge = createRequire(import.meta.url)('./converge_wasm.cjs');
export const { ${names.join(', ')} } = converge;
`,
);

const publicTypes = types
  .replace(/^export type InitInput[\s\S]*$/m, '')
  .trimEnd();
writeFileSync(join(dist, 'index.d.ts'), publicTypes + '\n');
writeFileSync(
  join(dist, 'slim.d.ts'),
  `export * from './index.js';
/** Loads the wasm: fetched from next to this module, or from the URL, Response or bytes given. */
export default function init(input?: { module_or_path?: RequestInfo | URL | Response | BufferSource | WebAssembly.Module } | RequestInfo | URL | Response | BufferSource | WebAssembly.Module): Promise<unknown>;
export { init };
/** Instantiates the wasm from bytes, synchronously. */
export function initSync(input: { module: BufferSource | WebAssembly.Module } | BufferSource | WebAssembly.Module): unknown;
`,
);
