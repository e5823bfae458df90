// Out of wasm memory (issue 15): once memory cannot grow, writes, merges and sync
// messages are refused with ERR_OUT_OF_MEMORY and change nothing, instead of trapping
// (which would lose the instance). The engine's limit is stood in for by the test-only
// __limitMemoryForTests(bytes), a cap the checks in wasm/src/headroom.rs count on;
// everything else is the real path. Its own file: the cap is module-wide.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertCoded, converge, ids } from './helpers.mjs';

const { Document, OrSet } = converge;
const MiB = 1 << 20;

test('writes past the memory limit are refused with ERR_OUT_OF_MEMORY, change nothing, and the instance lives on', () => {
  const doc = new Document(ids.a);
  const set = new OrSet(ids.b);
  doc.set('kept', 'before the limit');
  const other = new Document(ids.c);
  other.set('from', 'another replica');
  const otherBytes = other.encode();

  converge.__limitMemoryForTests(converge.__wasmMemoryBytes() + 3 * MiB);
  const big = 'x'.repeat(64 * 1024);
  let refused;
  let written = 0;
  for (let i = 0; i < 10_000; i++) {
    const before = doc.encode();
    try {
      doc.set(['big', String(i)], big);
      written += 1;
    } catch (error) {
      refused = error;
      assert.deepEqual(doc.encode(), before, 'the refused write changed nothing');
      break;
    }
  }
  assert.ok(refused, 'a write was refused before 10,000 writes of 64 KB under a 3 MiB cap');
  assert.equal(refused.code, 'ERR_OUT_OF_MEMORY', String(refused));
  assert.match(refused.message, /nothing was changed/);
  assert.ok(written > 0, 'writes went through until memory ran low');

  // Other calls that allocate are refused the same way; reads still work.
  assertCoded(() => doc.merge(otherBytes), 'ERR_OUT_OF_MEMORY');
  assertCoded(() => doc.increment('n'), 'ERR_OUT_OF_MEMORY');
  assertCoded(() => set.add('milk'), 'ERR_OUT_OF_MEMORY');
  assert.equal(doc.get('kept'), 'before the limit');
  assert.equal(doc.get('from'), undefined);
  assert.equal(Object.keys(doc.get('big')).length, written);

  // Memory freed (or a higher limit): the same objects work again.
  converge.__limitMemoryForTests(Infinity);
  doc.merge(otherBytes);
  doc.increment('n');
  set.add('milk');
  assert.equal(doc.get('from'), 'another replica');
  assert.equal(doc.get('n'), 1);
  assert.ok(set.has('milk'));
  const copy = new Document();
  copy.merge(doc.takeDelta());
  assert.equal(copy.get('n'), 1);
  for (const o of [doc, set, other, copy]) o.free();
});
