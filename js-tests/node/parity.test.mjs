// Native / wasm parity: fixtures/parity.jsonl holds, for 1,000 seeds, a trace of
// writes and merges on two replicas of one type (every type, Document included; the
// document counter traces use three replicas, as each line's `ids` lists) and
// the encodings the native build reached (crates/sync/tests/parity.rs writes it and
// checks it stays up to date). Replayed through the npm package, every seed must end
// in byte-identical encodings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { converge, hex } from './helpers.mjs';

const cases = readFileSync(new URL('./fixtures/parity.jsonl', import.meta.url), 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line));

const fromHex = (text) => Uint8Array.from(Buffer.from(text, 'hex'));

/** Replays one case; returns the replicas' encodings as hex. */
function replay({ type, ids, steps }) {
  const Class = converge[type];
  const replicas = ids.map((id) => new Class(id));
  try {
    for (const step of steps) {
      const replica = replicas[step.r];
      if ('merge' in step) replica.merge(replicas[step.merge].encode());
      else if ('delta' in step) replica.merge(fromHex(step.delta));
      else replica[step.op](...step.args);
    }
    return replicas.map((r) => hex(r.encode()));
  } finally {
    for (const r of replicas) r.free();
  }
}

test('the fixture covers 1,000 seeds and every type', () => {
  assert.equal(cases.length, 1000);
  const types = new Set(cases.map((c) => c.type));
  assert.deepEqual(
    [...types].sort(),
    ['Document', 'GCounter', 'LwwRegister', 'MvRegister', 'OrSet', 'PNCounter'],
  );
});

test('every seed reaches the native encodings byte for byte', () => {
  const failures = [];
  let steps = 0;
  for (const c of cases) {
    steps += c.steps.length;
    const got = replay(c);
    if (got.length !== c.expect.length || got.some((g, i) => g !== c.expect[i])) {
      failures.push(`seed ${c.seed} (${c.type}): native ${c.expect.join(' / ')}, wasm ${got.join(' / ')}`);
    }
  }
  assert.deepEqual(failures.slice(0, 5), [], `${failures.length} of ${cases.length} seeds differ`);
  assert.ok(steps > 5000, `the traces hold ${steps} steps`);
});

test('document counter traces have three replicas, resets and merges', () => {
  const counters = cases.filter((c) => c.type === 'Document' && c.ids.length === 3);
  assert.ok(counters.length >= 80, `${counters.length} counter traces`);
  const ops = new Set(counters.flatMap((c) => c.steps.map((s) => s.op ?? 'merge')));
  assert.deepEqual([...ops].sort(), ['decrement', 'increment', 'merge', 'remove']);
});
