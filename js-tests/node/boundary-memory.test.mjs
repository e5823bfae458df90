// What a small Document holds in wasm memory (issue 15): documents with three small
// writes each, kept alive. Memory grows in steps (a quarter of it at a time, see
// wasm/src/headroom.rs), so the growth over a fixed number of documents is off by up
// to a step. Instead this watches the steps: memory grows when what it had is full, so
// the memory one step added is what the documents made until the next step filled,
// and the figure is that memory divided by their number (allocator overhead and
// fragmentation included). It runs in its own process, so no other suite's garbage
// is reused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { converge } from './helpers.mjs';

const { Document } = converge;

function perDocument() {
  const keep = [];
  const threeWrites = () => {
    const d = new Document();
    d.set('title', 'a');
    d.set('done', false);
    d.increment('n');
    return d;
  };
  for (let i = 0; i < 1_000; i++) keep.push(threeWrites()); // warm-up
  // [documents made, memory] at each step after the warm-up. A step is often two
  // grows a document apart (the allocation that found memory full, then the headroom
  // the next call reserves): those count as one step.
  const steps = [[keep.length, converge.__wasmMemoryBytes()]];
  while (steps.length < 6 && keep.length < 400_000) {
    keep.push(threeWrites());
    const memory = converge.__wasmMemoryBytes();
    const last = steps[steps.length - 1];
    if (memory === last[1]) continue;
    if (keep.length - last[0] <= 2 && steps.length > 1) last[1] = memory;
    else steps.push([keep.length, memory]);
  }
  const [[, before], [fromDoc, grown], [toDoc]] = steps.slice(-3);
  for (const d of keep) d.free();
  return (grown - before) / (toDoc - fromDoc);
}

const measured = perDocument();

test('a document with three small writes holds under 1 KB of wasm memory (was 6.7 KB, then 4.3 KB)', (t) => {
  t.diagnostic(`${measured.toFixed(0)} bytes per document with three writes`);
  assert.ok(measured < 1024, `${measured} bytes per document`);
});

// Pending deltas are kept encoded and joined when their encodings pass twice the size
// of their last join (wasm/src/pending_deltas.rs): writes that are never taken keep the
// memory flat, and the delta taken at the end is the join of all of them.
test('100,000 writes to a few keys with no takeDelta() keep wasm memory flat', () => {
  const d = new Document();
  const write = (i) => {
    d.set(['k', String(i % 8)], i);
    d.increment('n');
  };
  for (let i = 0; i < 10_000; i++) write(i); // warm-up: past the first compactions
  const before = converge.__wasmMemoryBytes();
  for (let i = 10_000; i < 100_000; i++) write(i);
  const grown = converge.__wasmMemoryBytes() - before;
  assert.ok(grown <= 256 * 1024, `wasm memory grew by ${grown} bytes`);
  const copy = new Document();
  copy.merge(d.takeDelta());
  assert.deepEqual(copy.toJSON(), d.toJSON());
  assert.equal(copy.get('n'), 100_000);
  assert.equal(d.takeDelta(), undefined);
  d.free();
  copy.free();
});

test('takeDelta() after one write, after a few and after many (compacted) merges to the same state', () => {
  for (const writes of [1, 3, 700, 5_000]) {
    const d = new Document();
    for (let i = 0; i < writes; i++) {
      if (i % 3 === 0) d.set(['rec', String(i % 97), 'title'], `t${i}`);
      else if (i % 3 === 1) d.increment(['rec', String(i % 89), 'n'], i);
      else d.addToSet(['tags'], `x${i % 13}`);
    }
    const copy = new Document();
    copy.merge(d.takeDelta());
    assert.deepEqual(copy.toJSON(), d.toJSON(), `${writes} writes`);
    d.free();
    copy.free();
  }
});
