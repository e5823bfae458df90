// The default clock reads real time (issue 14, item 6): a Document or LwwRegister
// written without any clock set up stamps its writes with the host's Date.now(), not
// 0. The package has no clock of its own: it uses converge's default clock, which on
// wasm reads Date.now(). Date.now is not mocked here.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { converge } from './helpers.mjs';

const { Document, LwwRegister } = converge;

/** Asserts `millis` lies between `before` and `after` (both Date.now() readings). */
function assertNow(millis, before, after, what) {
  assert.equal(typeof millis, 'number', `${what}: no timestamp`);
  assert.ok(
    millis >= before && millis <= after,
    `${what}: stamped ${millis}, expected between ${before} and ${after} (Date.now())`,
  );
}

describe('the default clock', () => {
  test('a Document write is stamped with Date.now()', () => {
    const doc = new Document();
    const before = Date.now();
    doc.set(['title'], 'hello');
    const after = Date.now();
    const [write] = doc.read(['title']).siblings;
    assertNow(write.timestamp.millis, before, after, 'Document.set');
    doc.free();
  });

  test('an LwwRegister write is stamped with Date.now()', () => {
    const register = new LwwRegister();
    const before = Date.now();
    register.set('hello');
    const after = Date.now();
    const [write] = register.writes();
    assertNow(write.timestamp.millis, before, after, 'LwwRegister.set');
    register.free();
  });
});
