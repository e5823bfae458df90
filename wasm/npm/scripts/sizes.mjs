// Prints the raw and gzip sizes of what each entry ships: wasm plus JS glue.
// With --budget, also checks them against size-budget.json and exits with status 1
// when an entry is past its budget (wasm/build.sh does this, so `make test` and CI
// fail on a size regression).
import { readFileSync } from 'node:fs';
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
const slim = size('web/converge_wasm_bg.wasm', 'web/converge_wasm.js');
const inline = size('index.js', 'inline/converge_wasm.js');
const rows = [
  ['web/converge_wasm_bg.wasm', size('web/converge_wasm_bg.wasm')],
  ['web/converge_wasm.js (glue)', size('web/converge_wasm.js')],
  ['index.js (default entry, wasm inlined)', size('index.js')],
  ['wasm + glue (slim entry)', slim],
  ['index.js + its glue (default entry)', inline],
];
for (const [name, s] of rows) console.log(`${name.padEnd(42)} raw ${String(s.raw).padStart(8)}  gzip ${String(s.gzip).padStart(8)}`);

if (checkBudget) {
  const here = dirname(fileURLToPath(import.meta.url));
  const budget = JSON.parse(readFileSync(join(here, 'size-budget.json'), 'utf8'));
  const checks = [
    ['slim entry (wasm + glue), gzip', slim.gzip, budget.slimGzip],
    ['default entry (index.js + its glue), gzip', inline.gzip, budget.defaultGzip],
  ];
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
