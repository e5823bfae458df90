// Writes the package's entry points next to wasm-bindgen's output in `dist`:
//   index.js       default entry: the wasm inlined as ASCII text and instantiated
//                  synchronously (no top-level await, no .wasm import to resolve)
//   slim.js        the same API with an explicit `init(urlOrBytes)`, for users who
//                  fetch the .wasm file themselves
//   node/index.mjs ESM wrapper of the nodejs (CommonJS) output, whose glue reads the
//                  one wasm file, ../web/converge_wasm_bg.wasm
//   index.d.ts     the types, for `import` (ESM)
//   index.d.cts    the same types, for `require` (CommonJS)
//   slim.d.ts      the slim entry's types (no DOM lib needed)
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeRelayEntry } from './relay-entry.mjs';

const dist = process.argv[2];
// 'core' for the converge-crdt/core module (wasm/src/core_document.rs), whose Document
// has no change(), merge report or receive: its glue gets neither of those additions.
const core = process.argv[3] === 'core';
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
// Document.change(fn): the recorder `fn` gets keeps each write as a kind code, the
// path and the value, untouched, and one call (`__applyChange`, wasm/src/
// document_change.rs) converts and applies them all when `fn` returns: one crossing
// into the wasm, one delta, one change event, all or nothing; the packed paths cross
// in one string. A
// read through the recorder applies the writes recorded so far first, so it sees them.
const documentChange = `
function __convergeChangeError(code, message) {
  const error = new Error(message);
  error.code = code;
  return error;
}
const __convergeKinds = { set: 0, setMulti: 1, increment: 2, decrement: 3, addToSet: 4, removeFromSet: 5, enable: 6, disable: 7, remove: 8 };
// Whether a path is an array of 1 to 256 string keys (a Proxy that throws is not).
// Any other path (a string, an empty array, a key that is no string) is left to the
// wasm, which reads it itself and refuses it with its own message.
function __convergeIsKeyArray(path) {
  try {
    if (!Array.isArray(path) || path.length === 0 || path.length > 256) return false;
    for (let i = 0; i < path.length; i++) if (typeof path[i] !== 'string') return false;
    return true;
  } catch {
    return false;
  }
}
// Keys as one string for the wasm (wasm/src/packed_path.rs): each key's length in
// UTF-16 code units, a colon, the key. One string crosses into the wasm where the
// array was read key by key (most of a nested write's cost).
function __convergePack(keys) {
  let packed = '';
  for (const key of keys) packed += key.length + ':' + key;
  return packed;
}
// The write methods send an array path of string keys packed (\`__writePacked\`,
// wasm/src/document.rs); the methods without a value take (path, options).
for (const [name, kind] of Object.entries(__convergeKinds)) {
  const direct = Document.prototype[name];
  const takesValue = kind <= __convergeKinds.removeFromSet;
  const write = { [name](path, a, b) {
    if (typeof path === 'string' || !__convergeIsKeyArray(path)) return direct.call(this, path, a, b);
    const packed = __convergePack(path);
    const done = takesValue ? this.__writePacked(kind, packed, a, b) : this.__writePacked(kind, packed, undefined, a);
    // Not done: a key holds U+FFFD, maybe a lone surrogate (see \`__writePacked\`).
    if (!done) direct.call(this, path, a, b);
  } }[name];
  Object.defineProperty(Document.prototype, name, { value: write, writable: true, configurable: true });
}
class DocumentChange {
  #doc;
  // Each write's kind code and (#at) its path as an index into #paths, the distinct
  // paths: a string path written again is sent (and converted in the wasm) once per
  // apply. Typed arrays, grown by doubling (JS arrays cost twice the time).
  #kinds = new Uint8Array(64);
  #at = new Uint32Array(64);
  #count = 0;
  #paths = [];
  #pathIndex = new Map();
  // The array paths of string keys, by key in turn: a tree whose nodes hold the
  // path's index in #paths once written (as a packed string, its writes' kind codes
  // marked with 32). A path written again is found without building a string.
  #arrayPaths = { at: -1, key: undefined, child: undefined, others: undefined };
  // The packed paths again, in order, each followed by ';': the wasm reads them all
  // from this one string (the array is read only for a path it cannot take so).
  #packedText = '';
  // The values and amounts, except number values: those go in #numbers (sent as a
  // Float64Array, not one by one), their kind code marked with 16.
  #args = [];
  #numbers = new Float64Array(64);
  #numberCount = 0;
  #open = true;
  #applied = false;
  constructor(doc) {
    this.#doc = doc;
  }
  #record(kind, path, arg, options) {
    if (!this.#open) {
      throw __convergeChangeError('ERR_INVALID_USE', 'this change has ended: write through the recorder only inside the function given to change()');
    }
    if (options !== undefined) {
      throw __convergeChangeError('ERR_INVALID_ARGUMENT', 'write options (ifMatch) are not taken inside change(): make conditional writes one at a time');
    }
    let at;
    let packedMark = 0;
    if (typeof path === 'string') {
      at = this.#pathIndex.get(path);
      if (at === undefined) {
        at = this.#paths.length;
        this.#pathIndex.set(path, at);
        this.#paths.push(path);
      }
    } else {
      // Read now: a path array changed after the write does not change the write.
      const node = this.#arrayPathNode(path);
      if (node !== undefined) {
        packedMark = 32;
        at = node.at;
        if (at < 0) {
          at = node.at = this.#paths.length;
          const packed = __convergePack(path);
          this.#paths.push(packed);
          this.#packedText += packed + ';';
        }
      } else {
        at = this.#paths.length;
        this.#paths.push(path);
      }
    }
    const n = this.#count;
    if (n === this.#kinds.length) {
      const kinds = new Uint8Array(2 * n);
      kinds.set(this.#kinds);
      this.#kinds = kinds;
      const ats = new Uint32Array(2 * n);
      ats.set(this.#at);
      this.#at = ats;
    }
    this.#at[n] = at;
    this.#count = n + 1;
    if (typeof arg === 'number' && kind !== 2 && kind !== 3) {
      this.#kinds[n] = kind | 16 | packedMark;
      const m = this.#numberCount;
      if (m === this.#numbers.length) {
        const numbers = new Float64Array(2 * m);
        numbers.set(this.#numbers);
        this.#numbers = numbers;
      }
      this.#numbers[m] = arg;
      this.#numberCount = m + 1;
    } else {
      this.#kinds[n] = kind | packedMark;
      this.#args.push(arg);
    }
  }
  // The node of #arrayPaths for an array of 1 to 256 string keys, made if new;
  // \`undefined\` for any other path (as __convergeIsKeyArray, in the same pass). A
  // node's children: the first one inline (\`key\`, \`child\`), the others in a Map.
  #arrayPathNode(path) {
    try {
      if (!Array.isArray(path)) return undefined;
      const length = path.length;
      if (length === 0 || length > 256) return undefined;
      let node = this.#arrayPaths;
      for (let i = 0; i < length; i++) {
        const key = path[i];
        if (typeof key !== 'string') return undefined;
        let next;
        if (node.key === key) {
          next = node.child;
        } else if (node.key === undefined) {
          next = node.child = { at: -1, key: undefined, child: undefined, others: undefined };
          node.key = key;
        } else {
          const others = node.others ??= new Map();
          next = others.get(key);
          if (next === undefined) {
            next = { at: -1, key: undefined, child: undefined, others: undefined };
            others.set(key, next);
          }
        }
        node = next;
      }
      return node;
    } catch {
      return undefined;
    }
  }
  set(path, value, options) { this.#record(__convergeKinds.set, path, value, options); }
  setMulti(path, value, options) { this.#record(__convergeKinds.setMulti, path, value, options); }
  increment(path, n, options) { this.#record(__convergeKinds.increment, path, n, options); }
  decrement(path, n, options) { this.#record(__convergeKinds.decrement, path, n, options); }
  addToSet(path, value, options) { this.#record(__convergeKinds.addToSet, path, value, options); }
  removeFromSet(path, value, options) { this.#record(__convergeKinds.removeFromSet, path, value, options); }
  enable(path, options) { this.#record(__convergeKinds.enable, path, undefined, options); }
  disable(path, options) { this.#record(__convergeKinds.disable, path, undefined, options); }
  remove(path, options) { this.#record(__convergeKinds.remove, path, undefined, options); }
  #reset() {
    this.#kinds = new Uint8Array(64);
    this.#at = new Uint32Array(64);
    this.#count = 0;
    this.#paths = [];
    this.#pathIndex = new Map();
    this.#arrayPaths = { at: -1, key: undefined, child: undefined, others: undefined };
    this.#packedText = '';
    this.#args = [];
    this.#numbers = new Float64Array(64);
    this.#numberCount = 0;
  }
  get(path) { this.#apply(false); return this.#doc.get(path); }
  read(path, options) { this.#apply(false); return this.#doc.read(path, options); }
  toJSON() { this.#apply(false); return this.#doc.toJSON(); }
  // Applies the writes recorded so far (they are dropped if refused); \`last\` ends the
  // change, and sends its one event.
  #apply(last) {
    if (!this.#open) {
      throw __convergeChangeError('ERR_INVALID_USE', 'this change has ended: read through the document itself');
    }
    const kinds = this.#kinds.subarray(0, this.#count);
    const at = this.#at.subarray(0, this.#count);
    const paths = this.#paths;
    const packedText = this.#packedText;
    const args = this.#args;
    const numbers = this.#numbers.subarray(0, this.#numberCount);
    this.#reset();
    if (last) this.#open = false;
    // The last call also sends the event of writes applied by a read before; with
    // nothing to apply and nothing applied, the wasm is not called at all.
    if (kinds.length > 0 || (last && this.#applied)) {
      if (!last) this.#applied = true;
      this.#doc.__applyChange(kinds, at, paths, args, numbers, last, packedText);
    }
  }
  static run(doc, fn) {
    if (typeof fn !== 'function') {
      throw __convergeChangeError('ERR_INVALID_ARGUMENT', 'change takes a function: doc.change((d) => { d.set(path, value); ... })');
    }
    const d = new DocumentChange(doc);
    let result;
    try {
      result = fn(d);
      if (result !== null && (typeof result === 'object' || typeof result === 'function') && typeof result.then === 'function') {
        throw __convergeChangeError('ERR_INVALID_ARGUMENT', 'change() takes a synchronous function: its writes are applied when it returns, so writes after an await would be lost');
      }
    } catch (error) {
      d.#reset();
      d.#apply(true);
      throw error;
    }
    d.#apply(true);
    return result;
  }
}
Object.defineProperty(Document.prototype, 'change', {
  value: function change(fn) {
    return DocumentChange.run(this, fn);
  },
  writable: true,
  configurable: true,
});
`;

// Document.merge(other) and receive(message): the wasm (`__mergeText`,
// `__receiveText`, wasm/src/document.rs) joins and returns the merge report as compact
// JSON text (wasm/src/report_text.rs); the report's fields are parsed and expanded
// when first read. A large merge's report (10,000 concurrent keys: 40,000 objects)
// cost a sixth of the merge to build and parse, read or not. Each field is an
// enumerable accessor until read, then a plain data property (the same value on
// every read, writable); util.inspect shows the expanded report.
const documentMerge = `
const __convergeVerdicts = [null, 'settled', 'review'];
function __convergeExpandReport(text) {
  const records = JSON.parse(text);
  const concurrentWrites = records[0];
  const outcomes = records[records.length - 1];
  const changed = [];
  const byPath = [];
  const policies = [];
  for (let i = 1; i < records.length - 1; i += 6) {
    const path = records[i];
    let uses = 0;
    const own = () => (uses++ ? path.slice() : path);
    if (records[i + 1]) changed.push(own());
    if (records[i + 2]) byPath.push({ path: own(), writes: records[i + 2] });
    if (records[i + 3]) {
      const [pattern, policy, outcome] = outcomes[records[i + 3] - 1];
      const verdict = __convergeVerdicts[records[i + 4]];
      policies.push({ path: own(), pattern, policy, outcome, verdict, ignored: records[i + 5] });
    }
  }
  return { changed, concurrentWrites, byPath, policies };
}
function __convergeLazyReport(text) {
  let expanded;
  const whole = () => (expanded ??= __convergeExpandReport(text));
  const report = {};
  const settle = (key, value) =>
    Object.defineProperty(report, key, { value, writable: true, enumerable: true, configurable: true });
  for (const key of ['changed', 'concurrentWrites', 'byPath', 'policies']) {
    Object.defineProperty(report, key, {
      get() {
        const value = whole()[key];
        settle(key, value);
        return value;
      },
      set(value) {
        settle(key, value);
      },
      enumerable: true,
      configurable: true,
    });
  }
  Object.defineProperty(report, Symbol.for('nodejs.util.inspect.custom'), {
    value: () => ({ ...report }),
    enumerable: false,
  });
  return report;
}
Object.defineProperty(Document.prototype, 'merge', {
  value: function merge(other) {
    return __convergeLazyReport(this.__mergeText(other));
  },
  writable: true,
  configurable: true,
});
Object.defineProperty(Document.prototype, 'receive', {
  value: function receive(message) {
    const [text, reply] = this.__receiveText(message);
    const report = __convergeLazyReport(text);
    report.reply = reply;
    return report;
  },
  writable: true,
  configurable: true,
});
`;

// The glue ships without wasm-bindgen's JSDoc blocks (a third of its bytes, about 5 KB
// gzip): the type declarations keep them, and they are what editors read. Only whole
// `/** ... */` blocks on lines of their own, every inner line starting with `*`.
const jsDocBlock = /^[ \t]*\/\*\*\n(?:[ \t]*\*(?:[ \t].*)?\n)*?[ \t]*\*\/\n/gm;

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
    .replace(jsDocBlock, '')
    .replaceAll(bareThrow, codedThrow)
    .replaceAll(freeBody, idempotentFree)
    .replace(exportsLine, guardedLine);
  writeFileSync(file, text + (core ? '' : documentChange + documentMerge) + instanceGuard);
}

// The Node glue reads the web output's wasm (byte-identical; build.sh checks), so the
// package ships the wasm file once.
const nodeGlue = join(dist, 'node', 'converge_wasm.cjs');
const nodeWasmPath = 'const wasmPath = `${__dirname}/converge_wasm_bg.wasm`;';
const nodeText = readFileSync(nodeGlue, 'utf8');
if (!nodeText.includes(nodeWasmPath)) throw new Error('wasm-bindgen nodejs glue changed: update entries.mjs');
writeFileSync(
  nodeGlue,
  nodeText.replace(nodeWasmPath, 'const wasmPath = `${__dirname}/../web/converge_wasm_bg.wasm`;'),
);
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
const inline = inlineText(wasm);
writeFileSync(
  join(dist, 'index.js'),
  `// converge: default entry. The wasm is inlined and instantiated synchronously on
// import, so bundlers and browsers need no plugin, loader or top-level await.
// It is inlined as printable ASCII, one or two characters per byte (see inlineText in
// wasm/npm/scripts/entries.mjs): every byte keeps its own fixed characters, so gzip
// and brotli find the same repeats as in the .wasm file, and the text gzips to about
// the .wasm's own gzip size (hex, two characters a byte, took 12% more).
import { initSync } from './inline/converge_wasm.js';
const text = ${JSON.stringify(inline.text)};
function decode(text, alphabet, escapes, order, length) {
  // byteOf[k][c]: the byte written as character code c after escape k (k = 0: none).
  const byteOf = [];
  for (let k = 0; k <= escapes.length; k++) {
    const table = new Int16Array(128).fill(-1);
    for (let i = 0; i < alphabet.length; i++) {
      const rank = k * alphabet.length + i;
      if (rank < 256) table[alphabet.charCodeAt(i)] = parseInt(order.slice(rank * 2, rank * 2 + 2), 16);
    }
    byteOf.push(table);
  }
  const first = escapes.charCodeAt(0);
  const bytes = new Uint8Array(length);
  let j = 0;
  for (let i = 0; i < text.length && j < length; i++) {
    const code = text.charCodeAt(i);
    const k = code - first + 1;
    const byte = k >= 1 && k <= escapes.length ? byteOf[k][text.charCodeAt(++i)] : byteOf[0][code];
    if (!(byte >= 0)) break;
    bytes[j++] = byte;
  }
  if (j !== length) throw new Error('converge: the inlined wasm is damaged');
  return bytes;
}
initSync({
  module: decode(text, ${JSON.stringify(inline.alphabet)}, ${JSON.stringify(inline.escapes)}, ${JSON.stringify(inline.order)}, ${wasm.length}),
});
export { ${names.join(', ')} } from './inline/converge_wasm.js';
`,
);

writeFileSync(
  join(dist, 'slim.js'),
  `// converge/slim: the same API, without the inlined wasm. Call \`await init()\` before
// using anything else: in a browser it fetches converge_wasm_bg.wasm next to this file,
// in Node it reads that file; or pass a URL, a Response, the bytes or a module.
import webInit, { initSync } from './web/converge_wasm.js';
const isNode = typeof process === 'object' && process !== null && !!(process.versions && process.versions.node);
export default async function init(input) {
  if (input === undefined && isNode) {
    // fetch() cannot read file: URLs. The specifier is a variable so that bundlers
    // leave this Node-only import alone.
    const fs = 'node:fs/promises';
    const { readFile } = await import(/* webpackIgnore: true */ /* @vite-ignore */ fs);
    input = { module_or_path: await readFile(new URL('./web/converge_wasm_bg.wasm', import.meta.url)) };
  }
  return webInit(input);
}
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

// The types: wasm-bindgen's declarations (exact types come from the attributes and
// wasm/src/ts_types.rs), without its init types (they need the DOM lib). `using` needs
// Symbol.dispose: referencing its lib lets a user's default lib compile.
const publicTypes =
  '/// <reference lib="esnext.disposable" />\n' +
  types
    .replace(/^export type InitInput[\s\S]*$/m, '')
    .trimEnd() +
  '\n';
writeFileSync(join(dist, 'index.d.ts'), publicTypes);
writeFileSync(join(dist, 'index.d.cts'), publicTypes);
writeFileSync(
  join(dist, 'slim.d.ts'),
  `export * from './index.js';
/** A URL object (the DOM's or Node's), as far as \`init\` needs one. */
export interface UrlLike {
  readonly href: string;
}
/** A fetch \`Response\` (or a promise of one), as far as \`init\` needs one. */
export interface ResponseLike {
  arrayBuffer(): Promise<ArrayBuffer>;
}
/** The wasm as bytes. */
export type WasmBytes = ArrayBuffer | ArrayBufferView;
/** What \`init\` loads the wasm from: a URL, a Response, the bytes, or a compiled \`WebAssembly.Module\`. */
export type InitInput = string | UrlLike | ResponseLike | PromiseLike<ResponseLike> | WasmBytes | WebAssemblyModuleLike;
/**
 * A compiled \`WebAssembly.Module\`. The DOM lib declares it as an empty interface, so
 * any object matches it there too; declared here so no DOM lib is needed.
 */
export type WebAssemblyModuleLike = object;
/**
 * Loads the wasm: with no argument, fetched from next to this module in a browser and
 * read from disk in Node; or from the URL, Response, bytes or module given.
 */
export default function init(input?: { module_or_path: InitInput } | InitInput): Promise<unknown>;
export { init };
/** Instantiates the wasm from bytes or a module, synchronously. */
export function initSync(input: { module: WasmBytes | WebAssemblyModuleLike } | WasmBytes | WebAssemblyModuleLike): unknown;
`,
);

// converge-crdt/relay: the relay client and persistence helper (plain JS).
writeRelayEntry(dist);

/**
 * The wasm as printable ASCII for a string literal: each byte value gets fixed
 * characters, one for the most frequent byte values in this file, an escape character
 * and one more for the rest (so gzip sees the module's repeats as they are). Neither
 * quote, backslash, control nor non-ASCII characters occur, so no bundler re-escapes
 * the text. `order` lists the byte values by rank (two hex digits each); a byte of
 * rank r is `alphabet[r]`, or `escapes[k]` then `alphabet[r - alphabet.length * (k +
 * 1)]`.
 */
function inlineText(bytes) {
  // Consecutive character codes: the decoder tells them by `code - first`.
  const escapes = '{|';
  let alphabet = '';
  for (let c = 0x20; c <= 0x7e; c++) {
    const ch = String.fromCharCode(c);
    if (ch !== '"' && ch !== '\\' && ch !== "'" && ch !== '`' && !escapes.includes(ch)) alphabet += ch;
  }
  if (alphabet.length * (escapes.length + 1) < 256) throw new Error('inlineText: too few characters');
  const counts = new Array(256).fill(0);
  for (const b of bytes) counts[b]++;
  const order = [...counts.keys()].sort((x, y) => counts[y] - counts[x] || x - y);
  const chars = new Array(256);
  order.forEach((b, rank) => {
    const k = Math.floor(rank / alphabet.length);
    chars[b] = (k === 0 ? '' : escapes[k - 1]) + alphabet[rank % alphabet.length];
  });
  let text = '';
  for (const b of bytes) text += chars[b];
  return { text, alphabet, escapes, order: order.map((b) => b.toString(16).padStart(2, '0')).join('') };
}
