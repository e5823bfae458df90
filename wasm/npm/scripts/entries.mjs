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

// free() is idempotent: a second call (say `free()` inside a `using` block) does
// nothing, instead of passing a null pointer to Rust.
const freeBody = 'const ptr = this.__destroy_into_raw();\n        wasm.__wbg_';
const idempotentFree = 'const ptr = this.__destroy_into_raw();\n        if (ptr === 0) return;\n        wasm.__wbg_';

// After a trap (a wasm RuntimeError: out of memory, or a bug) the instance's memory
// and stack are in an unknown state: every later call into the wasm throws one coded
// error, ERR_INSTANCE_LOST, saying how to recover. The guard wraps every function the
// wasm exports, so it covers methods, constructors, statics and free functions alike;
// the garbage collector's finalizers (free with a second argument of 1) are let
// through as no-ops, since throwing there would crash the process.
const instanceGuard = `
var __convergeLost;
function __convergeLostError() {
  const error = new Error(
    'the converge wasm instance is lost: it trapped earlier (' + __convergeLost.message + '), ' +
    'so its memory can no longer be trusted and every object of this module is unusable. ' +
    'Recover by loading the module afresh (reload the page or worker, or restart the process) ' +
    'and restoring each replica from save() bytes taken before the trap.',
    { cause: __convergeLost },
  );
  error.code = 'ERR_INSTANCE_LOST';
  return error;
}
function __convergeIsTrap(error) {
  return error instanceof WebAssembly.RuntimeError ||
    (error instanceof RangeError && /call stack/i.test(error.message));
}
function __convergeGuard(exports) {
  const guarded = {};
  for (const [name, value] of Object.entries(exports)) {
    if (typeof value !== 'function') {
      guarded[name] = value;
      continue;
    }
    const finalizer = /^__wbg_\\w+_free$/.test(name);
    guarded[name] = function (...args) {
      if (__convergeLost !== undefined) {
        if (finalizer && args[1] === 1) return undefined;
        throw __convergeLostError();
      }
      try {
        return value.apply(this, args);
      } catch (error) {
        if (__convergeIsTrap(error)) {
          __convergeLost = error;
          throw __convergeLostError();
        }
        throw error;
      }
    };
  }
  return guarded;
}
`;
const patches = {
  [join(web, 'converge_wasm.js')]: ['    wasm = instance.exports;', '    wasm = __convergeGuard(instance.exports);'],
  [join(dist, 'node', 'converge_wasm.cjs')]: ['let wasm = wasmInstance.exports;', 'let wasm = __convergeGuard(wasmInstance.exports);'],
};
for (const [file, [exportsLine, guardedLine]] of Object.entries(patches)) {
  let text = readFileSync(file, 'utf8');
  for (const needle of [bareThrow, freeBody, exportsLine]) {
    if (!text.includes(needle)) throw new Error(`wasm-bindgen glue changed: update entries.mjs (${file}: ${needle})`);
  }
  text = text
    .replaceAll(bareThrow, codedThrow)
    .replaceAll(freeBody, idempotentFree)
    .replace(exportsLine, guardedLine);
  writeFileSync(file, text + instanceGuard);
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
