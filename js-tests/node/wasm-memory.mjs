// The package's wasm memory, for tests that measure how much a call made it grow.
// The package does not expose its memory, so this module wraps WebAssembly.Instance
// to see the instance's exports as the package creates it: import it BEFORE
// helpers.mjs (each test file runs in its own process, so only that file is affected).
const Original = WebAssembly.Instance;
let memory;
WebAssembly.Instance = function Instance(module, imports) {
  const instance = new Original(module, imports);
  if (instance.exports.memory instanceof WebAssembly.Memory) memory ??= instance.exports.memory;
  return instance;
};
WebAssembly.Instance.prototype = Original.prototype;

/** The package's wasm memory (after the package has loaded). */
export function wasmMemory() {
  if (memory === undefined) {
    throw new Error('the package was loaded before wasm-memory.mjs: import it first');
  }
  return memory;
}

/**
 * Runs `fn` and returns [result or thrown error, bytes the wasm memory grew by,
 * bytes of ArrayBuffers Node allocated meanwhile, milliseconds].
 */
export function measure(fn) {
  const before = wasmMemory().buffer.byteLength;
  const buffersBefore = process.memoryUsage().arrayBuffers;
  const start = performance.now();
  let outcome;
  try {
    outcome = fn();
  } catch (e) {
    outcome = e;
  }
  const ms = performance.now() - start;
  return {
    outcome,
    grew: wasmMemory().buffer.byteLength - before,
    arrayBuffers: Math.max(0, process.memoryUsage().arrayBuffers - buffersBefore),
    ms,
  };
}
