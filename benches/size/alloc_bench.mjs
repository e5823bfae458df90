#!/usr/bin/env node
// Times allocation-heavy work on one build of the npm package, for comparing global
// allocators (see benches/results/size.md): node benches/size/alloc_bench.mjs [dist]
// (default wasm/npm/dist). Prints the median of several runs of each task, in ms.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const dist = path.resolve(process.argv[2] ?? path.join(HERE, '../../wasm/npm/dist'));
const C = await import(pathToFileURL(path.join(dist, 'node/index.mjs')).href);

const WRITES = 100_000;
const KEYS = 10_000;
const RUNS = 7;
const keys = Array.from({ length: KEYS }, (_, i) => `key-${i}`);
const elements = Array.from({ length: WRITES }, (_, i) => `element-${String(i).padStart(8, '0')}`);

function doc(actor) {
  const d = new C.Document(actor.toString(16).padStart(16, '0'));
  for (let i = 0; i < WRITES; i++) d.set(keys[i % KEYS], i);
  return d;
}

const tasks = {
  'document: 100,000 writes over 10,000 keys': () => doc(1).free(),
  'document: encode': (() => {
    const d = doc(1);
    return () => d.encode();
  })(),
  'document: decode': (() => {
    const a = doc(1).encode();
    return () => C.Document.decode(a).free();
  })(),
  'document: decode + merge': (() => {
    const a = doc(1).encode();
    const b = doc(2).encode();
    return () => {
      const d = C.Document.decode(a);
      d.merge(b);
      d.free();
    };
  })(),
  'OR-Set: 100,000 adds': () => {
    const s = new C.OrSet();
    for (const e of elements) s.add(e);
    s.free();
  },
};

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
for (const [name, run] of Object.entries(tasks)) {
  run();
  const times = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    run();
    times.push(performance.now() - start);
  }
  console.log(`${name.padEnd(45)} ${median(times).toFixed(1).padStart(8)} ms`);
}
console.log(`${'wasm memory after the runs'.padEnd(45)} ${String(C.__wasmMemoryBytes?.() ?? '?').padStart(8)} bytes`);
