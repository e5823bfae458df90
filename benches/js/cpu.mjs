#!/usr/bin/env node
// The write workloads of bench.mjs timed by CPU time (process.cpuUsage) instead of wall
// time: on a machine other processes share, a run descheduled for a while shows in its
// wall time but not in its CPU time, so these ratios move less with the load. Subjects
// take turns, round after round; the figure is each subject's median over the rounds.
//
//   node benches/js/cpu.mjs             100,000 writes over 10,000 keys, 10,000 increments
//   CONVERGE_BENCH_SMALL=1 node ...     2,000 writes, 200 increments (a smoke run)
//
// Prints a markdown table; writes nothing.
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { DIST, SMALL, gc, log } from './common.mjs';

const require = createRequire(import.meta.url);
const Y = require('yjs');
const { LoroDoc } = require('loro-crdt');
const C = await import(pathToFileURL(path.join(DIST, 'node/index.mjs')).href);

const WRITES = SMALL ? 2_000 : 100_000;
const KEYS = WRITES / 10;
const INCREMENTS = WRITES / 10;
const ROUNDS = SMALL ? 3 : 7;
const KEY_NAMES = Array.from({ length: KEYS }, (_, i) => `k${i}`);
const ID = '0000000000000001';

/** [row, subject, build, free]: each build does the row's work from scratch. */
const subjects = [
  ['writes, one change / transaction / commit', 'converge', () => {
    const d = new C.Document(ID);
    d.change((w) => {
      for (let i = 0; i < WRITES; i++) w.set(KEY_NAMES[i % KEYS], i);
    });
    return d;
  }, (d) => d.free()],
  ['writes, one change / transaction / commit', 'Yjs', () => {
    const d = new Y.Doc();
    const m = d.getMap('m');
    d.transact(() => {
      for (let i = 0; i < WRITES; i++) m.set(KEY_NAMES[i % KEYS], i);
    });
    return d;
  }, (d) => d.destroy()],
  ['writes, one change / transaction / commit', 'Loro', () => {
    const d = new LoroDoc();
    const m = d.getMap('m');
    for (let i = 0; i < WRITES; i++) m.set(KEY_NAMES[i % KEYS], i);
    d.commit();
    return d;
  }, (d) => d.free()],
  ['writes, one at a time', 'converge', () => {
    const d = new C.Document(ID);
    for (let i = 0; i < WRITES; i++) d.set(KEY_NAMES[i % KEYS], i);
    return d;
  }, (d) => d.free()],
  ['writes, one at a time', 'Yjs', () => {
    const d = new Y.Doc();
    const m = d.getMap('m');
    for (let i = 0; i < WRITES; i++) m.set(KEY_NAMES[i % KEYS], i);
    return d;
  }, (d) => d.destroy()],
  ['writes, one at a time', 'Loro', () => {
    const d = new LoroDoc();
    const m = d.getMap('m');
    for (let i = 0; i < WRITES; i++) {
      m.set(KEY_NAMES[i % KEYS], i);
      d.commit();
    }
    return d;
  }, (d) => d.free()],
  ['increments, one change / commit', 'converge', () => {
    const d = new C.Document(ID);
    d.change((w) => {
      for (let i = 0; i < INCREMENTS; i++) w.increment('c', 1);
    });
    return d;
  }, (d) => d.free()],
  ['increments, one change / commit', 'Loro', () => {
    const d = new LoroDoc();
    const c = d.getCounter('c');
    for (let i = 0; i < INCREMENTS; i++) c.increment(1);
    d.commit();
    return d;
  }, (d) => d.free()],
  ['increments, one at a time', 'converge', () => {
    const d = new C.Document(ID);
    for (let i = 0; i < INCREMENTS; i++) d.increment('c', 1);
    return d;
  }, (d) => d.free()],
  ['increments, one at a time', 'Loro', () => {
    const d = new LoroDoc();
    const c = d.getCounter('c');
    for (let i = 0; i < INCREMENTS; i++) {
      c.increment(1);
      d.commit();
    }
    return d;
  }, (d) => d.free()],
];

const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};
const samples = new Map(subjects.map(([row, name]) => [`${row}\t${name}`, []]));
for (let round = 0; round <= ROUNDS; round++) {
  for (const [row, name, build, free] of subjects) {
    gc();
    const start = cpuMs();
    const made = build();
    const spent = cpuMs() - start;
    free(made);
    if (round > 0) samples.get(`${row}\t${name}`).push(spent); // round 0 warms up
  }
  log(`round ${round} of ${ROUNDS}`);
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = [...new Set(subjects.map(([row]) => row))];
const lines = [
  `CPU time, median of ${ROUNDS} rounds (${WRITES.toLocaleString('en-US')} writes over ${KEYS.toLocaleString('en-US')} keys; ${INCREMENTS.toLocaleString('en-US')} increments):`,
  '',
  '| workload | converge | Yjs | Loro | converge / Yjs | converge / Loro |',
  '| --- | ---: | ---: | ---: | ---: | ---: |',
];
for (const row of rows) {
  const of = (name) => samples.get(`${row}\t${name}`);
  const ms = (name) => (of(name) ? median(of(name)) : undefined);
  const cell = (v) => (v === undefined ? '–' : `${v.toFixed(1)} ms`);
  const ratio = (peer) => (ms(peer) === undefined ? '–' : (ms('converge') / ms(peer)).toFixed(2));
  lines.push(`| ${row} | ${cell(ms('converge'))} | ${cell(ms('Yjs'))} | ${cell(ms('Loro'))} | ${ratio('Yjs')} | ${ratio('Loro')} |`);
}
process.stdout.write(`${lines.join('\n')}\n`);
