#!/usr/bin/env node
// Profiles bench.mjs's "decode + merge" row alone: replica A = 100,000 document writes
// over 10,000 keys, B = the same keys written by another replica; times
// `Document.decode(a).merge(b)` and its phases against Loro
// (`LoroDoc.fromSnapshot(a).import(b)`) and Yjs (both updates into a new Y.Doc), in
// one process, rounds interleaved so that a loaded machine slows every row alike.
//
//   node benches/js/decode-merge-profile.mjs [dist-dir ...]
//   node --cpu-prof benches/js/decode-merge-profile.mjs     (a V8 profile of the same)
//
// Each dist directory (default wasm/npm/dist) is loaded side by side, so a build of
// main copied elsewhere can be compared with the new one. ROUNDS=n sets the rounds
// (default 15; each row reports its median). Each time is CPU time (process.cpuUsage,
// as cpu.mjs measures: a run descheduled on a shared machine does not count), with the
// wall time beside it. Writes nothing.

import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { DIST, gc, log } from './common.mjs';

const WRITES = 100_000;
const KEYS = WRITES / 10;
const ROUNDS = Number(process.env.ROUNDS || 15);
const KEY_NAMES = Array.from({ length: KEYS }, (_, i) => `k${i}`);
const convergeId = (n) => n.toString(16).padStart(16, '0');

function median(xs) {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)];
}
/** The medians of `[cpu, wall]` samples. */
function medians(samples) {
  return [median(samples.map((s) => s[0])), median(samples.map((s) => s[1]))];
}

/** `[cpu, wall]` milliseconds since `start` (a `clock()` reading). */
function since([cpu0, wall0]) {
  const { user, system } = process.cpuUsage();
  return [(user + system) / 1000 - cpu0, performance.now() - wall0];
}
function clock() {
  const { user, system } = process.cpuUsage();
  return [(user + system) / 1000, performance.now()];
}

/** Times `fn` once (after a full GC), then `cleanup` of its result outside the time. */
function once(fn, cleanup) {
  gc();
  const t0 = clock();
  const out = fn();
  const t = since(t0);
  cleanup(out);
  return t;
}

async function convergeRows(dist) {
  const C = await import(pathToFileURL(path.join(path.resolve(dist), 'node/index.mjs')).href);
  const build = (actor) => {
    const d = new C.Document(convergeId(actor));
    d.change((w) => {
      for (let i = 0; i < WRITES; i++) w.set(KEY_NAMES[i % KEYS], i);
    });
    const bytes = d.encode();
    d.free();
    return bytes;
  };
  const a = build(1);
  const b = build(2);
  const check = C.Document.decode(a);
  check.merge(b);
  const keys = Object.keys(check.toJSON()).length;
  check.free();
  if (keys !== KEYS) throw new Error(`${dist}: ${keys} keys, expected ${KEYS}`);
  const free = (d) => d.free();
  const rows = {
    'decode A': () => once(() => C.Document.decode(a), free),
    'decode B': () => once(() => C.Document.decode(b), free),
    'decode A + merge B': () =>
      once(() => {
        const d = C.Document.decode(a);
        d.merge(b);
        return d;
      }, free),
    'decode A + merge B, report read': () =>
      once(() => {
        const d = C.Document.decode(a);
        const report = d.merge(b);
        if (report.changed.length !== KEYS || report.policies.length !== KEYS) throw new Error('report');
        return d;
      }, free),
    'free (decoded + merged)': () => {
      const d = C.Document.decode(a);
      d.merge(b);
      gc();
      const t0 = clock();
      d.free();
      return since(t0);
    },
  };
  return { label: `converge (${dist})`, sizes: [a.length, b.length], rows };
}

async function peerRows() {
  const Y = await import('yjs');
  const { LoroDoc } = await import('loro-crdt');
  const loroBuild = (actor) => {
    const d = new LoroDoc();
    d.setPeerId(actor);
    const m = d.getMap('m');
    for (let i = 0; i < WRITES; i++) m.set(KEY_NAMES[i % KEYS], i);
    d.commit();
    const bytes = d.export({ mode: 'snapshot' });
    d.free();
    return bytes;
  };
  const yBuild = (actor) => {
    const d = new Y.Doc();
    d.clientID = actor;
    const m = d.getMap('m');
    d.transact(() => {
      for (let i = 0; i < WRITES; i++) m.set(KEY_NAMES[i % KEYS], i);
    });
    const bytes = Y.encodeStateAsUpdate(d);
    d.destroy();
    return bytes;
  };
  const [la, lb, ya, yb] = [loroBuild(1), loroBuild(2), yBuild(1), yBuild(2)];
  return [
    {
      label: 'Loro',
      sizes: [la.length, lb.length],
      rows: {
        'decode A + merge B': () =>
          once(() => {
            const d = LoroDoc.fromSnapshot(la);
            d.import(lb);
            return d;
          }, (d) => d.free()),
      },
    },
    {
      label: 'Yjs',
      sizes: [ya.length, yb.length],
      rows: {
        'decode A + merge B': () =>
          once(() => {
            const d = new Y.Doc();
            Y.applyUpdate(d, ya);
            Y.applyUpdate(d, yb);
            return d;
          }, (d) => d.destroy()),
      },
    },
  ];
}

const dists = process.argv.slice(2);
if (dists.length === 0) dists.push(DIST);
const libraries = [];
for (const dist of dists) libraries.push(await convergeRows(dist));
libraries.push(...(await peerRows()));

// Warm up once, then interleave: every row of every library once per round.
const samples = new Map();
for (let round = -1; round < ROUNDS; round++) {
  for (const lib of libraries) {
    for (const [row, run] of Object.entries(lib.rows)) {
      const t = run();
      if (round < 0) continue;
      const key = `${lib.label}\0${row}`;
      if (!samples.has(key)) samples.set(key, []);
      samples.get(key).push(t);
    }
  }
  if (round >= 0) log(`round ${round + 1}/${ROUNDS}`);
}
const both = (lib, row) => medians(samples.get(`${lib.label}\0${row}`));
const med = (lib, row) => both(lib, row)[0];
const fmt = ([cpu, wall]) => `${cpu.toFixed(2)} ms CPU (${wall.toFixed(2)} ms wall)`;
const [loro, yjs] = libraries.slice(-2);
const peer = { Loro: med(loro, 'decode A + merge B'), Yjs: med(yjs, 'decode A + merge B') };
for (const lib of libraries.slice(0, -2)) {
  console.log(`\n${lib.label}: encoded A ${lib.sizes[0]} B, B ${lib.sizes[1]} B (median of ${ROUNDS})`);
  for (const row of Object.keys(lib.rows)) console.log(`  ${row.padEnd(34)} ${fmt(both(lib, row))}`);
  const dm = med(lib, 'decode A + merge B');
  console.log(
    `  CPU time / Loro's ${(dm / peer.Loro).toFixed(3)}, / Yjs's ${(dm / peer.Yjs).toFixed(3)}; ` +
      `the fastest peer takes ${(Math.min(peer.Loro, peer.Yjs) / dm).toFixed(2)}x converge's time`,
  );
}
console.log(`\nLoro decode + merge ${fmt(both(loro, 'decode A + merge B'))} (encoded ${loro.sizes.join(' + ')} B)`);
console.log(`Yjs decode + merge ${fmt(both(yjs, 'decode A + merge B'))} (encoded ${yjs.sizes.join(' + ')} B)`);
