// Prints the raw and gzip sizes of what each entry ships: wasm plus JS glue.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const dist = process.argv[2];
const size = (file) => {
  const bytes = readFileSync(join(dist, file));
  return { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
};
const rows = [
  ['web/converge_wasm_bg.wasm', size('web/converge_wasm_bg.wasm')],
  ['web/converge_wasm.js (glue)', size('web/converge_wasm.js')],
  ['index.js (default entry, wasm inlined)', size('index.js')],
];
const wasm = rows[0][1];
const glue = rows[1][1];
for (const [name, s] of rows) console.log(`${name.padEnd(42)} raw ${String(s.raw).padStart(8)}  gzip ${String(s.gzip).padStart(8)}`);
console.log(`${'wasm + glue (slim entry)'.padEnd(42)} raw ${String(wasm.raw + glue.raw).padStart(8)}  gzip ${String(wasm.gzip + glue.gzip).padStart(8)}`);
