// Prints the raw and gzip sizes of what each entry ships: wasm plus JS glue, for the
// main entries, the Document-only ones (dist/document, `converge-crdt/document`) and
// the core ones (dist/core, `converge-crdt/core`).
// With --budget, also checks them against size-budget.json and exits with status 1
// when an entry is past its budget (wasm/build.sh does this, so `make test` and CI
// fail on a size regression).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const dist = process.argv[2];
const checkBudget = process.argv.includes('--budget');
const size = (...files) => {
  const parts = files.map((file) => readFileSync(join(dist, file)));
  return {
    raw: parts.reduce((n, bytes) => n + bytes.length, 0),
    gzip: parts.reduce((n, bytes) => n + gzipSync(bytes, { level: 9 }).length, 0),
  };
};
const here = dirname(fileURLToPath(import.meta.url));
const budget = JSON.parse(readFileSync(join(here, 'size-budget.json'), 'utf8'));
const checks = [];
for (const [dir, name, slimKey, defaultKey] of [
  ['', '', 'slimGzip', 'defaultGzip'],
  ['document/', 'document ', 'documentSlimGzip', 'documentDefaultGzip'],
  ['core/', 'core ', 'coreSlimGzip', 'coreDefaultGzip'],
]) {
  if (dir && !existsSync(join(dist, dir))) continue;
  const slim = size(`${dir}web/converge_wasm_bg.wasm`, `${dir}web/converge_wasm.js`);
  const inline = size(`${dir}index.js`, `${dir}inline/converge_wasm.js`);
  const rows = [
    [`${dir}web/converge_wasm_bg.wasm`, size(`${dir}web/converge_wasm_bg.wasm`)],
    [`${dir}web/converge_wasm.js (glue)`, size(`${dir}web/converge_wasm.js`)],
    [`${dir}index.js (${name}default entry, wasm inlined)`, size(`${dir}index.js`)],
    [`wasm + glue (${name}slim entry)`, slim],
    [`${dir}index.js + its glue (${name}default entry)`, inline],
  ];
  for (const [label, s] of rows) console.log(`${label.padEnd(51)} raw ${String(s.raw).padStart(8)}  gzip ${String(s.gzip).padStart(8)}`);
  checks.push(
    [`${name}slim entry (wasm + glue), gzip`, slim.gzip, budget[slimKey]],
    [`${name}default entry (index.js + its glue), gzip`, inline.gzip, budget[defaultKey]],
  );
}

if (checkBudget) {
  let over = false;
  for (const [name, actual, limit] of checks) {
    const ok = actual <= limit;
    over ||= !ok;
    console.log(`budget: ${name} ${actual} of ${limit} bytes: ${ok ? 'ok' : 'OVER BUDGET'}`);
  }
  if (over) {
    console.error('size budget exceeded (wasm/npm/scripts/size-budget.json): shrink the build, or raise the budget with a reason in the commit');
    process.exit(1);
  }
}
