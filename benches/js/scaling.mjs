// How the cost of one operation grows with the document (issue 13), in Node: a
// document whose map at depth 0, 2 or 4 (keys under `a/b/`, `a/b/c/d/`) holds N keys
// (registers of small integers), and the time of one operation at N = 1,000, 10,000
// and 100,000. See README.md next to this file for what each library does.
//
//   node benches/js/scaling.mjs                          alone, full size
//   CONVERGE_BENCH_SMALL=1 node benches/js/scaling.mjs   tiny sizes, seconds
//
// `bench.mjs` runs it last (`runScaling`); a full-size run writes
// ../results/scaling-js.tsv for the report.

import { existsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { DIST, REPO, SMALL, gc, log } from './common.mjs';

const RESULTS_TSV = path.join(REPO, 'benches/results/scaling-js.tsv');

const PLAN = SMALL
  ? { sizes: [100, 1_000], ops: 20, warmup: 4, budgetMs: 100, setupBudgetMs: Infinity }
  : // budgetMs bounds each point (warm-up included); setupBudgetMs bounds building N
    // pending writes (quadratic on code where each write costs O(pending)).
    { sizes: [1_000, 10_000, 100_000], ops: 300, warmup: 20, budgetMs: 1_000, setupBudgetMs: 15_000 };
const DEPTHS = [0, 2, 4];
/** A timed batch lasts at least this long (timer resolution). */
const BATCH_TARGET_MS = 0.2;
const MAX_BATCH = 20;

const OWNER = '0000000000000001';
const OTHER = '0000000000000002';

const parents = (depth) => ['a', 'b', 'c', 'd'].slice(0, depth);
const key = (i) => `k${String(i).padStart(6, '0')}`;

/** `count` pseudo-random key indices below `n` (xorshift, fixed seed; as the Rust bench). */
function picks(n, count) {
  let x = 0x9e3779b97f4a7c15n;
  const mask = (1n << 64n) - 1n;
  const out = [];
  for (let i = 0; i < count; i++) {
    x ^= (x << 13n) & mask;
    x ^= x >> 7n;
    x ^= (x << 17n) & mask;
    out.push(Number(x % BigInt(n)));
  }
  return out;
}

/**
 * Runs `op` on each input in order: a warm-up (up to a quarter of the budget), then
 * batches timed as a whole, until the inputs or the rest of the budget run out (at
 * least one batch). Returns the median of the batches' time per op (ms) and the ops
 * timed.
 */
function timeEach(inputs, op) {
  const start = performance.now();
  let next = 0;
  // The warm-up's median op sizes the batches (its first op may load lazily).
  const warm = [];
  while (next < PLAN.warmup && next < inputs.length && performance.now() - start < PLAN.budgetMs / 4) {
    const t = performance.now();
    op(inputs[next++]);
    warm.push(performance.now() - t);
  }
  warm.sort((a, b) => a - b);
  const perOp = warm.length ? warm[Math.floor(warm.length / 2)] : BATCH_TARGET_MS;
  const batch = Math.max(1, Math.min(MAX_BATCH, Math.floor(BATCH_TARGET_MS / Math.max(perOp, 1e-6))));
  const samples = [];
  let timed = 0;
  // The rest of the budget, from here: a slow first op (a lazy load) does not eat it.
  const timedStart = performance.now();
  while (next < inputs.length && (timed === 0 || performance.now() - timedStart < (PLAN.budgetMs * 3) / 4)) {
    const end = Math.min(inputs.length, next + batch);
    const t = performance.now();
    for (let i = next; i < end; i++) op(inputs[i]);
    samples.push((performance.now() - t) / (end - next));
    timed += end - next;
    next = end;
  }
  if (timed === 0) throw new Error('no operation left to time after the warm-up');
  samples.sort((a, b) => a - b);
  return { ms: samples[Math.floor(samples.length / 2)], ops: timed };
}

function check(ok, what) {
  if (!ok) throw new Error(`check failed: ${what}`);
}

// ---------------------------------------------------------------- the libraries

/** converge: `merge` of one-write deltas, `receive` of one-write sync messages, `set` with N writes pending. */
function convergeSubject(C) {
  const pathOf = (depth, i) => [...parents(depth), key(i)];
  const size = (doc, depth) => Object.keys(depth === 0 ? doc.toJSON() : doc.get(parents(depth))).length;
  // The document of N keys, built with takeDelta() after each write (so that building
  // it stays linear), as bytes.
  function build(depth, n) {
    const doc = new C.Document(OWNER);
    for (let i = 0; i < n; i++) {
      doc.set(pathOf(depth, i), i);
      doc.takeDelta();
    }
    const bytes = doc.encode();
    doc.free();
    return bytes;
  }
  return {
    name: 'converge',
    points(depth, n, record) {
      const bytes = build(depth, n);
      const keys = picks(n, PLAN.ops);

      // apply: merge() of deltas another replica made (one overwrite each).
      let writer = C.Document.decode(bytes, OTHER);
      const deltas = keys.map((k, i) => {
        writer.set(pathOf(depth, k), -(i + 1));
        return writer.takeDelta();
      });
      writer.free();
      let doc = C.Document.decode(bytes, OWNER);
      record('apply', timeEach(deltas, (d) => doc.merge(d)));
      check(size(doc, depth) === n, `${n} keys after merge`);
      doc.free();

      // receive: receive() of one-write sync messages. The writer needs an ack after
      // each message (else the next one carries every write not yet acked); a stand-in
      // for the receiver (same id, empty, resumed from its sync token) gives them.
      writer = C.Document.decode(bytes, OTHER);
      doc = C.Document.decode(bytes, OWNER);
      writer.receive(doc.receive(writer.messageFor(OWNER)).reply); // a Document returns its merge report
      const standIn = new C.Document(OWNER);
      standIn.resume(doc.syncToken(OTHER));
      const messages = keys.map((k, i) => {
        writer.set(pathOf(depth, k), -(i + 1));
        writer.takeDelta();
        const message = writer.messageFor(OWNER);
        check(message.length < 1024, 'a one-write delta, not the full state');
        writer.receive(standIn.receive(message).reply);
        return message;
      });
      writer.free();
      standIn.free();
      record('receive', timeEach(messages, (m) => doc.receive(m)));
      check(size(doc, depth) === n, `${n} keys after receive`);
      doc.free();

      // write: set() while the N writes that built the document are pending (no
      // takeDelta(): the package keeps their delta). Building them is bounded.
      doc = new C.Document(OWNER);
      const started = performance.now();
      let built = 0;
      let lastMs = 0;
      while (built < n) {
        const end = Math.min(n, built + 100);
        const t = performance.now();
        for (let i = built; i < end; i++) doc.set(pathOf(depth, i), i);
        lastMs = (performance.now() - t) / (end - built);
        built = end;
        if (performance.now() - started > PLAN.setupBudgetMs) break;
      }
      if (built < n) {
        const note = `setup over budget: ${built} of ${n} pending writes built in ` +
          `${((performance.now() - started) / 1000).toFixed(1)} s (the last 100 took ` +
          `${(lastMs * 1000).toFixed(0)} µs each)`;
        record('write', { ms: NaN, ops: 0, note });
      } else {
        let value = n;
        record('write', timeEach(keys, (k) => doc.set(pathOf(depth, k), ++value)));
        check(size(doc, depth) === n, `${n} keys after the writes`);
      }
      doc.free();
    },
  };
}

/** Yjs: nested `Y.Map`s; `applyUpdate` of one-key updates, `set` in its own transaction. */
function yjsSubject(Y) {
  const mapAt = (doc, depth) => parents(depth).reduce((m, p) => m.get(p), doc.getMap('root'));
  function build(depth, n) {
    const doc = new Y.Doc();
    doc.clientID = 1;
    doc.transact(() => {
      let m = doc.getMap('root');
      for (const p of parents(depth)) {
        const child = new Y.Map();
        m.set(p, child);
        m = child;
      }
      for (let i = 0; i < n; i++) m.set(key(i), i);
    });
    const bytes = Y.encodeStateAsUpdate(doc);
    doc.destroy();
    return bytes;
  }
  const load = (bytes, clientID) => {
    const doc = new Y.Doc();
    doc.clientID = clientID;
    Y.applyUpdate(doc, bytes);
    return doc;
  };
  return {
    name: 'Yjs',
    points(depth, n, record) {
      const bytes = build(depth, n);
      const keys = picks(n, PLAN.ops);

      // apply: applyUpdate() of the update of another client's one-key transaction.
      const writer = load(bytes, 2);
      const updates = [];
      writer.on('update', (u) => updates.push(u));
      const wm = mapAt(writer, depth);
      keys.forEach((k, i) => writer.transact(() => wm.set(key(k), -(i + 1))));
      writer.destroy();
      check(updates.length === keys.length, 'one update per write');
      let doc = load(bytes, 3);
      record('apply', timeEach(updates, (u) => Y.applyUpdate(doc, u)));
      check(mapAt(doc, depth).size === n, `${n} keys after applyUpdate`);
      doc.destroy();

      // write: set() in its own transaction; the update it emits is kept for sending
      // (Yjs's pending updates live with the application).
      doc = load(bytes, 3);
      const pending = [];
      doc.on('update', (u) => pending.push(u));
      const m = mapAt(doc, depth);
      let value = n;
      record('write', timeEach(keys, (k) => doc.transact(() => m.set(key(k), ++value))));
      check(m.size === n, `${n} keys after the writes`);
      doc.destroy();
    },
  };
}

/** Loro: nested `LoroMap`s; `import` of one-key updates, `set` + `commit`. */
function loroSubject({ LoroDoc, LoroMap }) {
  const mapAt = (doc, depth) => parents(depth).reduce((m, p) => m.get(p), doc.getMap('root'));
  function build(depth, n) {
    const doc = new LoroDoc();
    doc.setPeerId(1);
    let m = doc.getMap('root');
    for (const p of parents(depth)) m = m.setContainer(p, new LoroMap());
    for (let i = 0; i < n; i++) m.set(key(i), i);
    doc.commit();
    const bytes = doc.export({ mode: 'snapshot' });
    doc.free();
    return bytes;
  }
  // fromSnapshot decodes the state lazily: the check reads the map, so the decoding
  // happens here, outside the timing.
  const load = (bytes, peer, depth, n) => {
    const doc = LoroDoc.fromSnapshot(bytes);
    doc.setPeerId(peer);
    check(mapAt(doc, depth).size === n, `${n} keys loaded`);
    return doc;
  };
  return {
    name: 'Loro',
    points(depth, n, record) {
      const bytes = build(depth, n);
      const keys = picks(n, PLAN.ops);

      // apply: import() of another peer's one-key update (exported since its last one).
      const writer = load(bytes, 2, depth, n);
      const wm = mapAt(writer, depth);
      const updates = keys.map((k, i) => {
        const from = writer.oplogVersion();
        wm.set(key(k), -(i + 1));
        writer.commit();
        return writer.export({ mode: 'update', from });
      });
      writer.free();
      let doc = load(bytes, 3, depth, n);
      record('apply', timeEach(updates, (u) => doc.import(u)));
      check(mapAt(doc, depth).size === n, `${n} keys after import`);
      doc.free();

      // write: set() and commit(); the ops stay in the document's log until exported.
      doc = load(bytes, 3, depth, n);
      const m = mapAt(doc, depth);
      let value = n;
      record('write', timeEach(keys, (k) => {
        m.set(key(k), ++value);
        doc.commit();
      }));
      check(m.size === n, `${n} keys after the writes`);
      doc.free();
    },
  };
}

// ---------------------------------------------------------------- the run

/**
 * Runs every point; returns the points (`{ workload, depth, n, subject, ms, ops, note }`)
 * and, at full size, writes them to benches/results/scaling-js.tsv.
 */
export async function runScaling() {
  const entry = path.join(DIST, 'node/index.mjs');
  if (!existsSync(entry)) throw new Error(`${entry} is missing: build the package first with \`make wasm\``);
  const C = await import(pathToFileURL(entry).href);
  const Y = await import('yjs');
  const Loro = await import('loro-crdt');
  const subjects = [convergeSubject(C), yjsSubject(Y), loroSubject(Loro)];
  const started = performance.now();
  const loadStart = os.loadavg()[0];
  log(`scaling: ${SMALL ? 'SMALL' : 'full'} size, N = ${PLAN.sizes.join(', ')}, depths ${DEPTHS.join(', ')}`);
  const points = [];
  for (const n of PLAN.sizes) {
    for (const depth of DEPTHS) {
      for (const subject of subjects) {
        gc();
        const t0 = performance.now();
        subject.points(depth, n, (workload, { ms, ops, note = '' }) => {
          points.push({ workload, depth, n, subject: subject.name, ms, ops, note });
          const cost = Number.isNaN(ms) ? note : `${(ms * 1000).toFixed(2)} µs/op (${ops} ops)`;
          log(`  ${workload.padEnd(8)} depth ${depth} n ${String(n).padStart(7)} ${subject.name.padEnd(9)} ${cost}`);
        });
        log(`  (${subject.name}, depth ${depth}, n ${n}: ${((performance.now() - t0) / 1000).toFixed(1)} s with setup)`);
      }
    }
  }
  const seconds = (performance.now() - started) / 1000;
  log(`scaling: ${points.length} points in ${seconds.toFixed(0)} s`);
  if (!SMALL) {
    const lines = ['workload\tdepth\tn\tsubject\tns_per_op\tops\tnote'];
    for (const p of points) {
      const ns = Number.isNaN(p.ms) ? '' : (p.ms * 1e6).toFixed(1);
      lines.push([p.workload, p.depth, p.n, p.subject, ns, p.ops, p.note].join('\t'));
    }
    lines.push(`run\t0\t0\tload_start\t${loadStart.toFixed(2)}\t0\t`);
    lines.push(`run\t0\t0\tload_end\t${os.loadavg()[0].toFixed(2)}\t0\t`);
    lines.push(`run\t0\t0\tseconds\t${seconds.toFixed(1)}\t0\t`);
    writeFileSync(RESULTS_TSV, `${lines.join('\n')}\n`);
    log(`wrote ${path.relative(process.cwd(), RESULTS_TSV)}`);
  }
  return points;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await runScaling();
}
