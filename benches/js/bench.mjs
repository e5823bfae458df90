#!/usr/bin/env node
// converge (wasm, from wasm/npm/dist) against Yjs, Automerge and Loro on the same
// work, in the same run. See README.md next to this file for what each row means.
//
//   node benches/js/bench.mjs                          full size, writes ../results/js.md
//   CONVERGE_BENCH_SMALL=1 node benches/js/bench.mjs   small size, seconds, writes nothing
//
// Internal: `bench.mjs --child-build <library> <out-file>` builds the document once in
// a fresh process (for the heap figures) and is started by the main run.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import zlib from 'node:zlib';

import { DIST, REPO, SMALL, gc, log } from './common.mjs';
import { runScaling } from './scaling.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const MODULES = path.join(HERE, 'node_modules');
const RESULTS = path.join(REPO, 'benches/results/js.md');
// The same figures, one per line, for `make bench`'s report (benches/src/bin/report.rs).
const RESULTS_TSV = path.join(REPO, 'benches/results/js.tsv');

// ---------------------------------------------------------------- sizes and budget

// CONVERGE_BENCH_WRITES overrides the size (a multiple of 100); such runs, like small
// ones, leave benches/results/js.md alone.
const CUSTOM = !SMALL && !!process.env.CONVERGE_BENCH_WRITES;
const WRITES = SMALL ? 2_000 : CUSTOM ? Number(process.env.CONVERGE_BENCH_WRITES) : 100_000; // register writes into one document
const KEYS = WRITES / 10; // ...spread over this many keys (each written 10 times)
const ADDS = WRITES; // distinct set elements added
const INCREMENTS = WRITES / 10; // counter increments (see README: two libraries are superlinear here)
// Timing: each task runs once cold (which also picks the iteration count), then one
// warmup run and `iterations` timed runs, so that it takes about TARGET_MS. A cold run
// longer than SLOW_MS is reported as the only sample (marked "1 run").
const TARGET_MS = SMALL ? 250 : 2_500; // keeps `make bench` (both halves, builds included) under 15 minutes on 2 cores
const MIN_ITERATIONS = 3;
const MAX_ITERATIONS = SMALL ? 20 : 50;
const SLOW_MS = SMALL ? Infinity : 20_000;

if (!Number.isInteger(WRITES) || WRITES < 100 || WRITES % 100 !== 0) {
  throw new Error('CONVERGE_BENCH_WRITES must be a multiple of 100');
}
const WRITE_RESULTS = !SMALL && !CUSTOM;

const ACTOR_A = 1;
const ACTOR_B = 2;

// ---------------------------------------------------------------- helpers

const KEY_NAMES = Array.from({ length: KEYS }, (_, i) => `k${i}`);
const ELEMENTS = Array.from({ length: ADDS }, (_, i) => `e${i}`);

function check(ok, what) {
  if (!ok) throw new Error(`check failed: ${what}`);
}

function versionOf(pkgDir) {
  return JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8')).version;
}

const nf = new Intl.NumberFormat('en-US');
const int = (n) => nf.format(Math.round(n));
function sig(n, digits = 3) {
  if (n === 0) return '0';
  const p = Math.max(0, digits - 1 - Math.floor(Math.log10(Math.abs(n))));
  return nf.format(Number(n.toFixed(Math.min(p, 6))));
}
function fmtMs(ms) {
  return ms >= 1000 ? `${sig(ms / 1000)} s` : `${sig(ms)} ms`;
}
function fmtRate(perSecond) {
  if (perSecond >= 1e6) return `${sig(perSecond / 1e6)} M/s`;
  if (perSecond >= 1e3) return `${sig(perSecond / 1e3)} k/s`;
  return `${sig(perSecond)}/s`;
}
function fmtBytes(b) {
  if (Math.abs(b) >= 1024 * 1024) return `${sig(b / 1024 / 1024)} MiB`;
  if (Math.abs(b) >= 1024) return `${sig(b / 1024)} KiB`;
  return `${int(b)} B`;
}
function fmtRatio(r) {
  if (r === undefined || !Number.isFinite(r)) return '—';
  return `${r >= 100 ? int(r) : sig(r)}×`;
}

// ---------------------------------------------------------------- the libraries

// Each library gets the same operations: keys and values, elements, increments and
// replica ids are the same for all. `doc` builds one document from one actor.
async function loadLibraries() {
  const convergeEntry = path.join(DIST, 'node/index.mjs');
  if (!existsSync(convergeEntry)) {
    throw new Error(`${convergeEntry} is missing: build the package first with \`bash wasm/build.sh\``);
  }
  const C = await import(pathToFileURL(convergeEntry).href);
  const Y = await import('yjs');
  const A = await import('@automerge/automerge');
  const { LoroDoc, LoroMap } = await import('loro-crdt');

  /** The Y.Map of record `key` under `users`, made on first use. */
  const yjsRecord = (users, key) => {
    let record = users.get(key);
    if (record === undefined) {
      record = new Y.Map();
      users.set(key, record);
    }
    return record;
  };
  /** The LoroMap of record `key` under `users`, made on first use. */
  const loroRecord = (users, key) => users.get(key) ?? users.setContainer(key, new LoroMap());

  const convergeId = (n) => n.toString(16).padStart(16, '0');
  const automergeActor = (n) => n.toString(16).padStart(2, '0').repeat(16);

  const converge = {
    name: 'converge',
    version: versionOf(path.join(REPO, 'wasm/npm')),
    // Batch mode: every write in one Document.change (one call into the wasm).
    doc(actor) {
      const d = new C.Document(convergeId(actor));
      d.change((w) => {
        for (let i = 0; i < WRITES; i++) w.set(KEY_NAMES[i % KEYS], i);
      });
      return d;
    },
    // One call per write.
    docSingle(actor, { takeEach = false, writes = WRITES, keys = KEYS } = {}) {
      const d = new C.Document(convergeId(actor));
      for (let i = 0; i < writes; i++) {
        d.set(KEY_NAMES[i % keys], i);
        if (takeEach) d.takeDelta();
      }
      return d;
    },
    // Nested: the same writes one level down a record, at ['users', key, 'n'] (the
    // shape of a map of records).
    docNested(actor) {
      const d = new C.Document(convergeId(actor));
      d.change((w) => {
        for (let i = 0; i < WRITES; i++) w.set(['users', KEY_NAMES[i % KEYS], 'n'], i);
      });
      return d;
    },
    docNestedSingle(actor) {
      const d = new C.Document(convergeId(actor));
      for (let i = 0; i < WRITES; i++) d.set(['users', KEY_NAMES[i % KEYS], 'n'], i);
      return d;
    },
    nestedCount: (d) => Object.keys(d.get('users')).length,
    encode: (d) => d.encode(),
    decodeMerge(a, b) {
      const d = C.Document.decode(a);
      d.merge(b);
      return d;
    },
    keyCount: (d) => Object.keys(d.toJSON()).length,
    free: (d) => d.free(),
    setAdds() {
      const s = new C.OrSet();
      for (let i = 0; i < ADDS; i++) s.add(ELEMENTS[i]);
      return s;
    },
    setSize: (s) => s.values().length,
    counter() {
      const c = new C.GCounter();
      for (let i = 0; i < INCREMENTS; i++) c.increment(1);
      return c;
    },
    counterValue: (c) => Number(c.value),
    docCounter({ takeEach = false } = {}) {
      const d = new C.Document();
      for (let i = 0; i < INCREMENTS; i++) {
        d.increment('c', 1);
        if (takeEach) d.takeDelta();
      }
      return d;
    },
    docCounterBatch() {
      const d = new C.Document();
      d.change((w) => {
        for (let i = 0; i < INCREMENTS; i++) w.increment('c', 1);
      });
      return d;
    },
    docCounterValue: (d) => Number(d.get('c')),
  };

  const yjs = {
    name: 'Yjs',
    version: versionOf(path.join(MODULES, 'yjs')),
    doc(actor) {
      const d = new Y.Doc();
      d.clientID = actor;
      const m = d.getMap('m');
      d.transact(() => {
        for (let i = 0; i < WRITES; i++) m.set(KEY_NAMES[i % KEYS], i);
      });
      return d;
    },
    encode: (d) => Y.encodeStateAsUpdate(d),
    decodeMerge(a, b) {
      const d = new Y.Doc();
      Y.applyUpdate(d, a);
      Y.applyUpdate(d, b);
      return d;
    },
    // One transaction per write (a map.set outside transact makes its own).
    docSingle(actor) {
      const d = new Y.Doc();
      d.clientID = actor;
      const m = d.getMap('m');
      for (let i = 0; i < WRITES; i++) m.set(KEY_NAMES[i % KEYS], i);
      return d;
    },
    // Nested: a Y.Map per record under one Y.Map, made on first write.
    docNested(actor) {
      const d = new Y.Doc();
      d.clientID = actor;
      const users = d.getMap('users');
      d.transact(() => {
        for (let i = 0; i < WRITES; i++) yjsRecord(users, KEY_NAMES[i % KEYS]).set('n', i);
      });
      return d;
    },
    docNestedSingle(actor) {
      const d = new Y.Doc();
      d.clientID = actor;
      const users = d.getMap('users');
      for (let i = 0; i < WRITES; i++) d.transact(() => yjsRecord(users, KEY_NAMES[i % KEYS]).set('n', i));
      return d;
    },
    nestedCount: (d) => d.getMap('users').size,
    keyCount: (d) => d.getMap('m').size,
    free: (d) => d.destroy(),
    setAdds() {
      const d = new Y.Doc();
      const m = d.getMap('s');
      d.transact(() => {
        for (let i = 0; i < ADDS; i++) m.set(ELEMENTS[i], true);
      });
      return d;
    },
    setSize: (d) => d.getMap('s').size,
    counter: null, // Yjs has no counter type
  };

  const automerge = {
    name: 'Automerge',
    version: versionOf(path.join(MODULES, '@automerge/automerge')),
    doc(actor) {
      return A.change(A.init({ actor: automergeActor(actor) }), (d) => {
        for (let i = 0; i < WRITES; i++) d[KEY_NAMES[i % KEYS]] = i;
      });
    },
    encode: (d) => A.save(d),
    decodeMerge: (a, b) => A.loadIncremental(A.load(a), b),
    keyCount: (d) => Object.keys(d).length,
    free: (d) => A.free(d),
    setAdds() {
      return A.change(A.init(), (d) => {
        for (let i = 0; i < ADDS; i++) d[ELEMENTS[i]] = true;
      });
    },
    setSize: (d) => Object.keys(d).length,
    counter() {
      return A.change(A.from({ c: new A.Counter() }), (d) => {
        for (let i = 0; i < INCREMENTS; i++) d.c.increment(1);
      });
    },
    counterValue: (d) => d.c.value,
  };

  const loro = {
    name: 'Loro',
    version: versionOf(path.join(MODULES, 'loro-crdt')),
    doc(actor) {
      const d = new LoroDoc();
      d.setPeerId(actor);
      const m = d.getMap('m');
      for (let i = 0; i < WRITES; i++) m.set(KEY_NAMES[i % KEYS], i);
      d.commit();
      return d;
    },
    // A commit per write.
    docSingle(actor) {
      const d = new LoroDoc();
      d.setPeerId(actor);
      const m = d.getMap('m');
      for (let i = 0; i < WRITES; i++) {
        m.set(KEY_NAMES[i % KEYS], i);
        d.commit();
      }
      return d;
    },
    // Nested: a LoroMap per record under one LoroMap (setContainer on first write).
    docNested(actor) {
      const d = new LoroDoc();
      d.setPeerId(actor);
      const users = d.getMap('users');
      for (let i = 0; i < WRITES; i++) loroRecord(users, KEY_NAMES[i % KEYS]).set('n', i);
      d.commit();
      return d;
    },
    docNestedSingle(actor) {
      const d = new LoroDoc();
      d.setPeerId(actor);
      const users = d.getMap('users');
      for (let i = 0; i < WRITES; i++) {
        loroRecord(users, KEY_NAMES[i % KEYS]).set('n', i);
        d.commit();
      }
      return d;
    },
    nestedCount: (d) => d.getMap('users').size,
    encode: (d) => d.export({ mode: 'snapshot' }),
    decodeMerge(a, b) {
      const d = LoroDoc.fromSnapshot(a);
      d.import(b);
      return d;
    },
    keyCount: (d) => d.getMap('m').size,
    free: (d) => d.free(),
    setAdds() {
      const d = new LoroDoc();
      const m = d.getMap('s');
      for (let i = 0; i < ADDS; i++) m.set(ELEMENTS[i], true);
      d.commit();
      return d;
    },
    setSize: (d) => d.getMap('s').size,
    counter() {
      const d = new LoroDoc();
      const c = d.getCounter('c');
      for (let i = 0; i < INCREMENTS; i++) c.increment(1);
      d.commit();
      return d;
    },
    // A commit per increment.
    counterSingle() {
      const d = new LoroDoc();
      const c = d.getCounter('c');
      for (let i = 0; i < INCREMENTS; i++) {
        c.increment(1);
        d.commit();
      }
      return d;
    },
    counterValue: (d) => d.getCounter('c').value,
  };

  return [converge, yjs, automerge, loro];
}

// ---------------------------------------------------------------- timing

async function measure(label, fn, { cleanup = () => {}, coldMs } = {}) {
  const { Bench } = await import('tinybench');
  gc();
  let cold = coldMs;
  if (cold === undefined) {
    const t0 = performance.now();
    const r = fn();
    cold = performance.now() - t0;
    cleanup(r);
    gc();
  }
  if (cold > SLOW_MS) {
    log(`  ${label}: ${fmtMs(cold)} (one run: too slow to repeat)`);
    return { label, mean: cold, p50: cold, min: cold, max: cold, rme: NaN, samples: 1 };
  }
  const iterations = Math.min(MAX_ITERATIONS, Math.max(MIN_ITERATIONS, Math.floor(TARGET_MS / cold)));
  const bench = new Bench({
    time: 0,
    iterations,
    warmup: true,
    warmupIterations: 1,
    warmupTime: 0,
    throws: true,
  });
  let last;
  bench.add(label, () => {
    last = fn();
  }, {
    afterEach() {
      cleanup(last);
      last = undefined;
    },
  });
  await bench.run();
  const { latency } = bench.tasks[0].result;
  log(`  ${label}: ${fmtMs(latency.mean)} ±${sig(latency.rme, 2)}% (${latency.samplesCount} runs)`);
  return {
    label,
    mean: latency.mean,
    p50: latency.p50,
    min: latency.min,
    max: latency.max,
    rme: latency.rme,
    samples: latency.samplesCount,
  };
}

// ---------------------------------------------------------------- heap (child process)

// Builds the document from actor A once in this fresh process and reports the heap
// growth and the build time; leaves the encoded document in `outFile`.
async function childBuild(name, outFile) {
  const lib = (await loadLibraries()).find((l) => l.name === name);
  gc();
  gc();
  const before = process.memoryUsage();
  const t0 = performance.now();
  const d = lib.doc(ACTOR_A);
  const ms = performance.now() - t0;
  gc();
  gc();
  const after = process.memoryUsage();
  const bytes = lib.encode(d);
  writeFileSync(outFile, bytes);
  process.stdout.write(`${JSON.stringify({
    ms,
    heapUsed: after.heapUsed - before.heapUsed,
    external: after.external - before.external,
    arrayBuffers: after.arrayBuffers - before.arrayBuffers,
    rss: after.rss - before.rss,
    keys: lib.keyCount(d),
  })}\n`);
}

function runChild(name, outFile) {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child-build', name, outFile], {
    env: process.env,
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  if (r.status !== 0) throw new Error(`child build of ${name} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

// ---------------------------------------------------------------- shipped size

// Resolves a bare specifier the way a browser bundler would (conditions browser,
// module, import, default), from the bench's node_modules.
function resolveBare(spec) {
  const parts = spec.split('/');
  const pkgName = spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  const sub = `.${spec.slice(pkgName.length)}` || '.';
  const pkgDir = path.join(MODULES, pkgName);
  const pkg = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
  const pick = (entry) => {
    if (typeof entry === 'string') return entry;
    if (entry && typeof entry === 'object') {
      for (const c of ['browser', 'module', 'import', 'default']) {
        if (c in entry) {
          const r = pick(entry[c]);
          if (r) return r;
        }
      }
    }
    return null;
  };
  let target = null;
  if (pkg.exports) {
    const exp = typeof pkg.exports === 'string' || !Object.keys(pkg.exports)[0]?.startsWith('.')
      ? { '.': pkg.exports }
      : pkg.exports;
    target = pick(exp[sub === '.' ? '.' : sub]);
  }
  if (!target) target = sub === '.' ? pkg.module ?? pkg.main ?? 'index.js' : sub;
  return path.join(pkgDir, target);
}

// Every JS file reachable from `entry` through static imports and re-exports.
function moduleGraph(entry) {
  const seen = new Set();
  const stack = [entry];
  while (stack.length) {
    const file = stack.pop();
    if (seen.has(file)) continue;
    seen.add(file);
    const src = readFileSync(file, 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/^\s*\/\/.*$/gm, '');
    const specs = [
      ...src.matchAll(/^\s*(?:import|export)\b[^;'"`]*?\bfrom\s*['"]([^'"]+)['"]/gm),
      ...src.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm),
    ].map((m) => m[1]);
    for (const spec of specs) {
      if (spec.startsWith('node:')) continue;
      stack.push(spec.startsWith('.') ? path.resolve(path.dirname(file), spec) : resolveBare(spec));
    }
  }
  return [...seen];
}

function gzipLen(buf) {
  return zlib.gzipSync(buf, { level: 9 }).length;
}

function shippedSize(name, jsEntry, wasmFile) {
  const files = moduleGraph(jsEntry);
  const js = Buffer.concat(files.map((f) => readFileSync(f)));
  const wasm = wasmFile ? readFileSync(wasmFile) : Buffer.alloc(0);
  const rel = (f) => path.relative(REPO, f).replace(/^benches\/js\/node_modules\//, '');
  return {
    name,
    jsFiles: files.map(rel),
    wasmFile: wasmFile ? rel(wasmFile) : null,
    jsRaw: js.length,
    jsGz: gzipLen(js),
    wasmRaw: wasm.length,
    wasmGz: wasmFile ? gzipLen(wasm) : 0,
  };
}

/** The gzip size of an entry that inlines the wasm (its index.js plus the glue it
 * imports), per file as wasm/npm/scripts/sizes.mjs sums them. */
function defaultEntryGz(dir) {
  return gzipLen(readFileSync(path.join(dir, 'index.js'))) + gzipLen(readFileSync(path.join(dir, 'inline/converge_wasm.js')));
}

function shippedSizes() {
  const m = (p) => path.join(MODULES, p);
  return {
    converge: shippedSize('converge', path.join(DIST, 'web/converge_wasm.js'), path.join(DIST, 'web/converge_wasm_bg.wasm')),
    Yjs: shippedSize('Yjs', m('yjs/dist/yjs.mjs'), null),
    Automerge: shippedSize('Automerge', m('@automerge/automerge/dist/mjs/entrypoints/slim.js'), m('@automerge/automerge/dist/automerge.wasm')),
    Loro: shippedSize('Loro', m('loro-crdt/web/index.js'), m('loro-crdt/web/loro_wasm_bg.wasm')),
    // converge-crdt/document's slim entry: Document without the standalone classes.
    'converge/document': shippedSize('converge/document', path.join(DIST, 'document/web/converge_wasm.js'),
      path.join(DIST, 'document/web/converge_wasm_bg.wasm')),
    // converge-crdt/core's slim entry: the Document alone (no sync replica, merge
    // report, policies, events or change()).
    'converge/core': shippedSize('converge/core', path.join(DIST, 'core/web/converge_wasm.js'),
      path.join(DIST, 'core/web/converge_wasm_bg.wasm')),
  };
}

// ---------------------------------------------------------------- the run

let LOAD_AT_START;
let BUILD;

// Which converge build ran: the repo commit and the hash of the Node build's wasm.
function convergeBuildInfo() {
  const git = (args) => spawnSync('git', ['-C', REPO, ...args], { encoding: 'utf8' });
  const head = git(['rev-parse', '--short', 'HEAD']).stdout?.trim() || 'unknown';
  const dirty = git(['status', '--porcelain', '--', 'crates', 'wasm']).stdout?.trim() ? ' (crates/ or wasm/ modified)' : '';
  const wasm = readFileSync(path.join(DIST, 'web/converge_wasm_bg.wasm'));
  const sha = createHash('sha256').update(wasm).digest('hex').slice(0, 12);
  return `commit ${head}${dirty}, web/converge_wasm_bg.wasm sha256 ${sha}…`;
}

async function main() {
  const started = performance.now();
  LOAD_AT_START = os.loadavg()[0];
  const libs = await loadLibraries();
  const [converge] = libs;
  const peers = libs.slice(1);
  // Shipped size first: it reads wasm/npm/dist, which another build could replace
  // during a long run.
  const shipped = shippedSizes();
  BUILD = convergeBuildInfo();
  log(`converge JS bench: ${SMALL ? 'SMALL' : 'full'} size, ${int(WRITES)} writes over ${int(KEYS)} keys, ` +
    `${int(ADDS)} set adds, ${int(INCREMENTS)} increments`);

  // 1. Heap after building the document, one fresh process per library. The build
  //    time of that cold run decides whether the main process may repeat it.
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'converge-bench-'));
  const heap = {};
  const encodedA = {};
  try {
    for (const lib of libs) {
      log(`building the document in a fresh process: ${lib.name}${lib === converge && !SMALL ? ' (slow, see README)' : ''}`);
      const out = path.join(tmp, `${lib.name}.bin`);
      heap[lib.name] = runChild(lib.name, out);
      encodedA[lib.name] = new Uint8Array(readFileSync(out));
      check(heap[lib.name].keys === KEYS, `${lib.name} document has ${KEYS} keys`);
      log(`  ${fmtMs(heap[lib.name].ms)}, heap +${fmtBytes(heap[lib.name].heapUsed + heap[lib.name].external)}`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }

  // 2. Document writes.
  log('document writes');
  const writes = {};
  for (const lib of libs) {
    writes[lib.name] = await measure(`${lib.name} doc`, () => lib.doc(ACTOR_A), {
      cleanup: (d) => d && lib.free(d),
      coldMs: heap[lib.name].ms > SLOW_MS ? heap[lib.name].ms : undefined,
    });
  }
  // One write at a time: converge one call per write, Yjs one transaction per write,
  // Loro a commit per write (Automerge: a change per write is out of reach at this
  // size, so it has no such row).
  log('document writes, one at a time');
  const single = {};
  for (const lib of libs.filter((l) => l.docSingle)) {
    const d = lib.docSingle(ACTOR_A);
    check(lib.keyCount(d) === KEYS, `${lib.name} document written one at a time has ${KEYS} keys`);
    lib.free(d);
    single[lib.name] = await measure(`${lib.name} doc, one write at a time`, () => lib.docSingle(ACTOR_A), {
      cleanup: (d) => d && lib.free(d),
    });
  }
  // Diagnostic: the same writes with takeDelta() after each one (the state is the
  // same; the delta accumulated for takeDelta stays one write long).
  const writesTake = await measure('converge doc, takeDelta() per write', () => converge.docSingle(ACTOR_A, { takeEach: true }), {
    cleanup: (d) => d && d.free(),
  });

  // 3. Encoded size of the document from actor A (built in the child).
  const encodedSize = Object.fromEntries(libs.map((l) => [l.name, encodedA[l.name].length]));

  // 4. Decode + merge: replica B writes the same keys from another actor. Its
  //    converge build calls takeDelta() per write only to be quick: the encoded
  //    state does not depend on it.
  log('decode + merge');
  const merge = {};
  const mergeInfo = {};
  for (const lib of libs) {
    const b = lib.doc(ACTOR_B);
    const encodedB = lib.encode(b);
    lib.free(b);
    const a = encodedA[lib.name];
    const merged = lib.decodeMerge(a, encodedB);
    check(lib.keyCount(merged) === KEYS, `${lib.name} merged document has ${KEYS} keys`);
    mergeInfo[lib.name] = { a: a.length, b: encodedB.length, merged: lib.encode(merged).length };
    lib.free(merged);
    merge[lib.name] = await measure(`${lib.name} decode+merge`, () => lib.decodeMerge(a, encodedB), {
      cleanup: (d) => d && lib.free(d),
    });
  }

  // 5. Set adds.
  log('set adds');
  const adds = {};
  for (const lib of libs) {
    const s = lib.setAdds();
    check(lib.setSize(s) === ADDS, `${lib.name} set has ${ADDS} elements`);
    lib.free(s);
    adds[lib.name] = await measure(`${lib.name} set adds`, () => lib.setAdds(), { cleanup: (s) => s && lib.free(s) });
  }

  // 6. Counter increments.
  log('counter increments');
  const counters = {};
  const counterLibs = [
    ['converge GCounter', () => converge.counter(), converge.counterValue, converge.free],
    ['converge Document', () => converge.docCounter(), converge.docCounterValue, converge.free],
    ['converge Document.change', () => converge.docCounterBatch(), converge.docCounterValue, converge.free],
    ['converge Document, takeDelta() per write', () => converge.docCounter({ takeEach: true }), converge.docCounterValue, converge.free],
    ...peers.filter((p) => p.counter).map((p) => [p.name, () => p.counter(), p.counterValue, p.free]),
    ...peers.filter((p) => p.counterSingle).map((p) => [`${p.name}, a commit per increment`, () => p.counterSingle(), p.counterValue, p.free]),
  ];
  for (const [label, fn, value, free] of counterLibs) {
    const c = fn();
    check(value(c) === INCREMENTS, `${label} counter reads ${INCREMENTS}`);
    free(c);
    counters[label] = await measure(`${label} increments`, fn, { cleanup: (c) => c && free(c) });
  }

  // 6b. The same writes nested, at ['users', key, 'n']: in one change / transaction /
  //     commit, and one at a time (converge, Yjs and Loro; Automerge's one change of
  //     this size is already the slowest row). Last of the timed rows: Loro's nested
  //     rows (a container per record, 15 s a run one at a time) left its later rows
  //     several times slower when they ran before them.
  log('nested document writes');
  const nested = {};
  const nestedSingle = {};
  for (const lib of libs.filter((l) => l.docNested)) {
    for (const [mode, build, into] of [['one change', lib.docNested, nested], ['one at a time', lib.docNestedSingle, nestedSingle]]) {
      const d = build.call(lib, ACTOR_A);
      check(lib.nestedCount(d) === KEYS, `${lib.name} nested document (${mode}) has ${KEYS} records`);
      lib.free(d);
      into[lib.name] = await measure(`${lib.name} nested doc, ${mode}`, () => build.call(lib, ACTOR_A), {
        cleanup: (d) => d && lib.free(d),
      });
    }
  }

  // 7. How converge's document writes scale (one run each).
  log('converge Document.set scaling');
  const scaling = [];
  for (const n of [WRITES / 20, WRITES / 10, WRITES / 5]) {
    const row = { writes: n, keys: n / 10 };
    for (const takeEach of [false, true]) {
      gc();
      const t0 = performance.now();
      const d = converge.docSingle(ACTOR_A, { takeEach, writes: n, keys: n / 10 });
      row[takeEach ? 'take' : 'plain'] = performance.now() - t0;
      d.free();
    }
    scaling.push(row);
  }
  scaling.push({ writes: WRITES, keys: KEYS, plain: single.converge.mean, take: writesTake.mean });

  const totalMs = performance.now() - started;
  const md = report({ libs, peers, heap, writes, single, nested, nestedSingle, writesTake, encodedSize, merge, mergeInfo, adds, counters, scaling, shipped, totalMs });
  process.stdout.write(md);
  if (WRITE_RESULTS) {
    writeFileSync(RESULTS, md);
    writeFileSync(RESULTS_TSV, figures({ libs, heap, writes, single, nested, nestedSingle, encodedSize, merge, adds, counters, shipped, totalMs }));
    log(`wrote ${path.relative(process.cwd(), RESULTS)} and ${path.relative(process.cwd(), RESULTS_TSV)}`);
  } else {
    log('small or custom-size run: benches/results/js.md left unchanged');
  }

  // 8. How one operation's cost grows with the document (scaling.mjs; its own file).
  await runScaling();
}

// ---------------------------------------------------------------- the report

/** The headline figures as `measure\tsubject\tvalue` lines (times in ms, sizes in bytes). */
function figures({ libs, heap, writes, single, nested, nestedSingle, encodedSize, merge, adds, counters, shipped, totalMs }) {
  const lines = ['measure\tsubject\tvalue'];
  const put = (measure, subject, value) => {
    if (value !== undefined && Number.isFinite(value)) lines.push(`${measure}\t${subject}\t${value}`);
  };
  for (const { name } of libs) {
    put('doc_writes_ms', name, writes[name]?.mean);
    put('doc_single_writes_ms', name, single[name]?.mean);
    put('doc_nested_writes_ms', name, nested[name]?.mean);
    put('doc_nested_single_writes_ms', name, nestedSingle[name]?.mean);
    put('encoded_bytes', name, encodedSize[name]);
    put('decode_merge_ms', name, merge[name]?.mean);
    put('set_adds_ms', name, adds[name]?.mean);
    put('increments_ms', name === 'converge' ? 'converge' : name, counters[name === 'converge' ? 'converge Document' : name]?.mean);
    put('heap_bytes', name, heap[name] && heap[name].heapUsed + heap[name].external);
  }
  // Every library's slim size and the smaller converge entries' (converge/document,
  // converge/core), and the default entries' (the wasm inlined), for the size goals (at
  // most 100 KB slim, 140 KB default).
  for (const [name, s] of Object.entries(shipped)) put('shipped_gzip_bytes', name, s.jsGz + s.wasmGz);
  put('default_entry_gzip_bytes', 'converge', defaultEntryGz(DIST));
  put('default_entry_gzip_bytes', 'converge/core', defaultEntryGz(path.join(DIST, 'core')));
  put('increments_gcounter_ms', 'converge', counters['converge GCounter']?.mean);
  // Counter increments in one change/commit (converge Document.change, Loro one
  // commit, Automerge one change), and one at a time (converge Document.increment,
  // Loro a commit per increment).
  put('increments_batch_ms', 'converge', counters['converge Document.change']?.mean);
  put('increments_single_ms', 'converge', counters['converge Document']?.mean);
  for (const peer of ['Automerge', 'Loro']) put('increments_batch_ms', peer, counters[peer]?.mean);
  put('increments_single_ms', 'Loro', counters['Loro, a commit per increment']?.mean);
  put('writes', 'all', WRITES);
  put('cores', 'all', os.availableParallelism?.() ?? os.cpus().length);
  put('load_start', 'all', LOAD_AT_START);
  put('load_end', 'all', os.loadavg()[0]);
  put('run_ms', 'all', totalMs);
  return `${lines.join('\n')}\n`;
}

function report(r) {
  const { peers, heap, writes, single, nested, nestedSingle, writesTake, encodedSize, merge, mergeInfo, adds, counters, scaling, shipped, totalMs } = r;
  const names = ['converge', ...peers.map((p) => p.name)];
  const lines = [];
  const row = (cells) => lines.push(`| ${cells.join(' | ')} |`);
  const header = (cells) => {
    row(cells);
    row(cells.map((c, i) => (i === 0 ? '---' : '---:')));
  };
  const timed = (t, ops) => (t ? `${fmtRate((ops * 1000) / t.mean)} (${fmtMs(t.mean)}${t.samples === 1 ? ', 1 run' : ''})` : '—');
  // ratio = converge's cost / the peer's cost: > 1 means converge is slower or bigger.
  const ratioRow = (label, conv, per, fmt, costOf) => {
    const cells = [label, fmt(conv)];
    for (const p of peers) cells.push(per[p.name] === undefined ? 'n/a' : fmt(per[p.name]));
    for (const p of peers) cells.push(per[p.name] === undefined ? '—' : fmtRatio(costOf(conv) / costOf(per[p.name])));
    row(cells);
  };
  const heapTotal = (h) => h.heapUsed + h.external;
  const shippedTotal = (s) => s.jsGz + s.wasmGz;
  const cpus = os.cpus();

  lines.push('# JS benchmark: converge against Yjs, Automerge and Loro', '');
  lines.push(`Generated by \`node benches/js/bench.mjs\` (see [benches/js/README.md](../js/README.md)). ` +
    `${SMALL ? '**Small run (CONVERGE_BENCH_SMALL=1).** ' : CUSTOM ? `**Custom size (CONVERGE_BENCH_WRITES=${WRITES}).** ` : ''}All figures come from one run on one machine.`, '');
  lines.push(`- Machine: ${cpus.length} cores (${os.availableParallelism?.() ?? cpus.length} available to Node), ${cpus[0]?.model?.trim() ?? 'unknown CPU'}, ` +
    `${fmtBytes(os.totalmem())} RAM, ${os.platform()} ${os.arch()}`);
  lines.push(`- Node ${process.version}, V8 ${process.versions.v8}; run took ${fmtMs(totalMs)}; ` +
    `1-minute load average ${sig(LOAD_AT_START, 2)} at the start, ${sig(os.loadavg()[0], 2)} at the end ` +
    '(the bench itself keeps about one core busy)');
  lines.push(`- Versions: ${r.libs.map((l) => `${l.name} ${l.version}`).join(', ')} (converge from \`wasm/npm/dist\`, ` +
    `built with opt-level "z" and wasm-opt -Oz; ${BUILD})`);
  lines.push(`- Work: ${int(WRITES)} register writes over ${int(KEYS)} keys (value = write index), ${int(ADDS)} distinct set adds, ` +
    `${int(INCREMENTS)} counter increments. Timed with tinybench: a cold run, one warmup, then enough runs for ~${fmtMs(TARGET_MS)} ` +
    `(${MIN_ITERATIONS}–${MAX_ITERATIONS})` +
    `${Number.isFinite(SLOW_MS) ? `; a cold run over ${fmtMs(SLOW_MS)} is the only sample ("1 run")` : ''}.`);
  lines.push('- **converge/peer** is converge\'s cost divided by the peer\'s (time, bytes or memory): **above 1 converge is slower or bigger**, below 1 it is faster or smaller.', '');

  lines.push('## Results', '');
  header(['measure', ...names, ...peers.map((p) => `converge/${p.name}`)]);
  ratioRow(`Document: ${int(WRITES)} writes over ${int(KEYS)} keys, one change/transaction/commit (writes/s, time)`, writes.converge, writes,
    (t) => timed(t, WRITES), (t) => t.mean);
  ratioRow(`Document: ${int(WRITES)} writes over ${int(KEYS)} keys, one at a time (writes/s, time)`, single.converge, single,
    (t) => timed(t, WRITES), (t) => t.mean);
  ratioRow(`Document: the same writes nested at ['users', key, 'n'], one change/transaction/commit (writes/s, time)`, nested.converge, nested,
    (t) => timed(t, WRITES), (t) => t.mean);
  ratioRow(`Document: the same writes nested at ['users', key, 'n'], one at a time (writes/s, time)`, nestedSingle.converge, nestedSingle,
    (t) => timed(t, WRITES), (t) => t.mean);
  ratioRow('Document: encoded size', encodedSize.converge, encodedSize, fmtBytes, (b) => b);
  ratioRow('Decode 2 replicas + merge (time)', merge.converge, merge,
    (t) => `${fmtMs(t.mean)}${t.samples === 1 ? ', 1 run' : ''}`, (t) => t.mean);
  ratioRow(`${int(ADDS)} set adds (adds/s, time)`, adds.converge, adds, (t) => timed(t, ADDS), (t) => t.mean);
  const counterPeers = Object.fromEntries(peers.filter((p) => counters[p.name]).map((p) => [p.name, counters[p.name]]));
  ratioRow(`${int(INCREMENTS)} increments, converge GCounter (incr/s, time)`, counters['converge GCounter'], counterPeers,
    (t) => timed(t, INCREMENTS), (t) => t.mean);
  ratioRow(`${int(INCREMENTS)} increments, converge Document.increment (incr/s, time)`, counters['converge Document'], counterPeers,
    (t) => timed(t, INCREMENTS), (t) => t.mean);
  ratioRow(`${int(INCREMENTS)} increments in one Document.change (incr/s, time)`, counters['converge Document.change'], counterPeers,
    (t) => timed(t, INCREMENTS), (t) => t.mean);
  ratioRow(`${int(INCREMENTS)} increments, Document.increment against a commit per increment (incr/s, time)`, counters['converge Document'],
    counters['Loro, a commit per increment'] ? { Loro: counters['Loro, a commit per increment'] } : {},
    (t) => timed(t, INCREMENTS), (t) => t.mean);
  ratioRow('Heap in use after building the document (heapUsed + external growth)', heap.converge, heap,
    (h) => fmtBytes(heapTotal(h)), heapTotal);
  ratioRow('Shipped wasm + JS, gzip -9', shipped.converge, shipped, (s) => fmtBytes(shippedTotal(s)), shippedTotal);
  lines.push('');
  lines.push('Peers\' equivalents: document = one `Y.Map` in one transaction, one Automerge change on the root map, ' +
    'one `LoroMap` with one commit (converge: one `Document.change`); one at a time = converge one `Document.set` call per write, ' +
    'Yjs one transaction per write, Loro a commit per write (Automerge: none, a change per write is out of reach at this size); ' +
    'nested = the same writes at `[\'users\', key, \'n\']`: a `Y.Map` / `LoroMap` per record under one map, made on first write (Automerge: not run); encode = `Y.encodeStateAsUpdate`, `Automerge.save`, `export({ mode: "snapshot" })`; ' +
    'decode + merge = `applyUpdate` of both into a new `Y.Doc`, `loadIncremental(load(a), b)`, `LoroDoc.fromSnapshot(a).import(b)` ' +
    '(converge: `Document.decode(a).merge(b)`); set = map keys set to `true` (none of the peers has a set type); ' +
    'counter = `Automerge.Counter` in one change, `LoroCounter` with one commit. **Yjs has no counter type: skipped.**', '');

  lines.push('## converge diagnostics', '');
  lines.push('The same writes with `takeDelta()` called after each one. The document state is the same; only the delta that ' +
    'converge accumulates for `takeDelta()` stays one write long instead of growing with the document.', '');
  header(['measure', 'converge', 'plain converge / this']);
  row([`Document: ${int(WRITES)} writes over ${int(KEYS)} keys, takeDelta() per write`, timed(writesTake, WRITES),
    fmtRatio(single.converge.mean / writesTake.mean)]);
  row([`Document: ${int(INCREMENTS)} increments, takeDelta() per write`, timed(counters['converge Document, takeDelta() per write'], INCREMENTS),
    fmtRatio(counters['converge Document'].mean / counters['converge Document, takeDelta() per write'].mean)]);
  lines.push('');
  lines.push('How `Document.set` time grows with the document (keys = writes / 10; one run each; the last row is the timed run above):', '');
  header(['writes', 'keys', 'Document.set', 'µs per write', 'with takeDelta() per write', 'µs per write']);
  for (const s of scaling) {
    row([int(s.writes), int(s.keys), fmtMs(s.plain), sig((s.plain * 1000) / s.writes), fmtMs(s.take), sig((s.take * 1000) / s.writes)]);
  }
  lines.push('');

  lines.push('## Details', '');
  lines.push('Timings (ms per run of the whole workload):', '');
  header(['task', 'runs', 'mean', 'median', 'min', 'max', '± (95%)']);
  const timings = [
    ...Object.values(writes), ...Object.values(single), writesTake, ...Object.values(merge), ...Object.values(adds), ...Object.values(counters),
  ];
  for (const t of timings) {
    row([t.label, String(t.samples), sig(t.mean), sig(t.p50), sig(t.min), sig(t.max), Number.isFinite(t.rme) ? `${sig(t.rme, 2)}%` : '—']);
  }
  lines.push('');
  lines.push('Decode + merge inputs and output (encoded bytes):', '');
  header(['library', 'replica A', 'replica B', 'merged']);
  for (const n of names) row([n, int(mergeInfo[n].a), int(mergeInfo[n].b), int(mergeInfo[n].merged)]);
  lines.push('');
  lines.push(`Heap growth while building the document (${int(WRITES)} writes), measured in a fresh process per library ` +
    'after forced GC, the document still alive. WebAssembly memory counts in `external` (not in `arrayBuffers`) and ' +
    'never shrinks, so for converge, Automerge and Loro it is the high-water mark of the wasm heap during the build.', '');
  header(['library', 'heapUsed', 'external', 'of which arrayBuffers', 'total', 'build time (cold)']);
  for (const n of names) {
    const h = heap[n];
    row([n, fmtBytes(h.heapUsed), fmtBytes(h.external), fmtBytes(h.arrayBuffers), fmtBytes(heapTotal(h)), fmtMs(h.ms)]);
  }
  lines.push('');
  lines.push('Shipped size: the wasm file, and the JS files reachable by static imports from the entry ' +
    '(concatenated, then gzip level 9; bare imports resolved with browser conditions):', '');
  header(['library', 'JS entry', 'JS files', 'JS raw', 'JS gzip', 'wasm', 'wasm raw', 'wasm gzip', 'total gzip']);
  for (const n of [...names, 'converge/document', 'converge/core']) {
    const s = shipped[n];
    row([n, `\`${s.jsFiles[0]}\``, String(s.jsFiles.length), fmtBytes(s.jsRaw), fmtBytes(s.jsGz), s.wasmFile ? `\`${s.wasmFile}\`` : '(pure JS)',
      fmtBytes(s.wasmRaw), fmtBytes(s.wasmGz), `${int(shippedTotal(s))} B`]);
  }
  lines.push('');
  lines.push('<details><summary>JS files counted</summary>', '');
  for (const n of [...names, 'converge/document', 'converge/core']) lines.push(`- ${n}: ${shipped[n].jsFiles.map((f) => `\`${f}\``).join(', ')}`);
  lines.push('', '</details>', '');
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------- entry

if (process.argv[2] === '--child-build') {
  await childBuild(process.argv[3], process.argv[4]);
} else {
  await main();
}
