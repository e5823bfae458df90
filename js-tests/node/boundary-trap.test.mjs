// After a trap the wasm instance is lost (issue 15): every later call throws one coded
// error, ERR_INSTANCE_LOST, whose message says what happened and how to recover.
// The trap is forced with the test-only export __trapForTests() (the same wasm
// RuntimeError running out of memory gives). Its own file: each test file runs in its
// own process, and this one leaves its instance lost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertCoded, converge, ids } from './helpers.mjs';

const { Document, GCounter, compareVersions, randomReplicaId } = converge;

test('after a trap every call throws ERR_INSTANCE_LOST, saying how to recover', () => {
  const doc = new Document(ids.a);
  doc.set('k', 'saved before');
  const saved = doc.save();
  const counter = new GCounter(ids.b);

  const trap = assertCoded(() => converge.__trapForTests(), 'ERR_INSTANCE_LOST');
  assert.ok(trap.cause instanceof WebAssembly.RuntimeError, 'the trap is the cause');

  const later = [
    () => doc.get('k'),
    () => doc.set('k', 1),
    () => doc.save(),
    () => doc.free(),
    () => counter.increment(),
    () => counter.value,
    () => new Document(),
    () => Document.restore(saved),
    () => compareVersions({}, {}),
    () => randomReplicaId(),
  ];
  for (const call of later) {
    const error = assertCoded(call, 'ERR_INSTANCE_LOST');
    assert.match(error.message, /instance is lost/);
    assert.match(error.message, /save\(\)/, 'the message says how to recover');
  }
  // The bytes saved before the trap are what a fresh module restores from.
  assert.ok(saved instanceof Uint8Array && saved.length > 0);
});
