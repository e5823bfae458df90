#!/usr/bin/env node
// Profiles bench.mjs's "decode + merge" row alone: replica A = 100,000 document writes
// over 10,000 keys, B = the same keys written by another actor; times
// `Document.decode(a).merge(b)` split into its phases, against Loro and Yjs, in one run.
//
//   node benches/js/decode-merge-profile.mjs [dist-dir ...]
//   node --cpu-prof benches/js/decode-merge-profile.mjs     (a V8 profile of the same)
//
// Each dist directory (default wasm/npm/dist) is loaded side by side, so an old build
// copied elsewhere can be compared with the new one in the same process.

import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { DIST, gc, log } from './common.mjs';

const WRITES = Number(process.env.CONVERGE_BENCH_WRITES || 100_000);
const KEYS = WRITES / 10;
const ROUNDS = Number(process.env.ROUNDS || 15);
const KEY_NAMES = Array.from({ length: KEYS }, (_, i) => `k${i}`);
const convergeId = (n) => n.toString(16).padStart(16, '0');

function median(xs) {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)];
}

function time(fn, cleanup = () => {}) {
  const samples = [];
  for (let r = 0; r < ROUNDS + 2; r++) {
    gc();
    const t0 = performance.now();
    const out = fn();
    const t = performance.now() - t0;
    cleanup(out);
    if (r >= 2) samples.push(t);
  }
  return median(samples);
}

async function convergeRows(dist, label) {
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
  const rows = {};
  rows['decode A'] = time(() => C.Document.decode(a), (d) => d.free());
  rows['decode B'] = time(() => C.Document.decode(b), (d) => d.free());
  rows['decode A + merge B'] = time(() => {
    const d = C.Document.decode(a);
    d.merge(b);
    return d;
  }, (d) => d.free());
  rows['decode A + merge B + read report'] = time(() => {
    const d = C.Document.decode(a);
    const report = d.merge(b);
    // Touch the report the way a caller would.
    void (report.changed ?? report.changedPaths ?? report).length;
    return d;
  }, (d) => d.free());
  rows['free (decoded+merged)'] = (() => {
    const samples = [];
    for (let r = 0; r < ROUNDS; r++) {
      const d = C.Document.decode(a);
      d.merge(b);
      gc();
      const t0 = performance.now();
      d.free();
      samples.push(performance.now() - t0);
    }
    return median(samples);
  })();
  const check = C.Document.decode(a);
  check.merge(b);
  const keys = Object.keys(check.toJSON()).length;
  check.free();
  if (keys !== KEYS) throw new Error(`${label}: ${keys} keys, expected ${KEYS}`);
  return { label, sizes: [a.length, b.length], rows };
}

async function peers() {
  const Y = await import("yjs");
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
  const la = loroBuild(1);
  const lb = loroBuild(2);
  const ya = yBuild(1);
  const yb = yBuild(2);
  return {
    Loro: time(() => {
      const d = LoroDoc.fromSnapshot(la);
      d.import(lb);
      return d;
    }, (d) => d.free()),
    Yjs: time(() => {
      const d = new Y.Doc();
      Y.applyUpdate(d, ya);
      Y.applyUpdate(d, yb);
      return d;
    }, (d) => d.destroy()),
  };
}

const dists = process.argv.slice(2);
if (dists.length === 0) dists.push(DIST);
const results = [];
for (const dist of dists) {
  log(`converge from ${dist}`);
  results.push(await convergeRows(dist, dist));
}
log('peers');
const peer = await peers();
const fastest = Math.min(peer.Loro, peer.Yjs);
for (const r of results) {
  console.log(`\n${r.label} (encoded A ${r.sizes[0]} B, B ${r.sizes[1]} B)`);
  for (const [k, v] of Object.entries(r.rows)) console.log(`  ${k.padEnd(36)} ${v.toFixed(2)} ms`);
  const dm = r.rows['decode A + merge B'];
  console.log(`  ratio vs Loro ${(dm / peer.Loro).toFixed(3)}, vs Yjs ${(dm / peer.Yjs).toFixed(3)}, fastest peer / converge ${(fastest / dm).toFixed(2)}x`);
}
console.log(`\nLoro decode+merge ${peer.Loro.toFixed(2)} ms, Yjs ${peer.Yjs.toFixed(2)} ms`);
