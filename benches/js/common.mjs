// What the JS benches share: paths, the size switch, forced GC and progress output.

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** The repository root. */
export const REPO = path.resolve(HERE, '../..');
/** The built npm package. */
export const DIST = path.join(REPO, 'wasm/npm/dist');
/** CONVERGE_BENCH_SMALL=1: tiny sizes for CI, and no results file is written. */
export const SMALL = !!process.env.CONVERGE_BENCH_SMALL && process.env.CONVERGE_BENCH_SMALL !== '0';

v8.setFlagsFromString('--expose-gc');
/** A full garbage collection. */
export const gc = vm.runInNewContext('gc');

/** Progress, to stderr (stdout carries the report). */
export function log(...args) {
  process.stderr.write(`${args.join(' ')}\n`);
}
