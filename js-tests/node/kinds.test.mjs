// A local write of another kind replaces what its writer saw (issue 15), while
// concurrent writes of different kinds stay side by side; and resolvers have one
// shape: Document resolver policies and MvRegister.resolve both get
// { value, writer, timestamp } siblings and return a value, a sibling, or undefined.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertCoded, assertSameBytes, converge, ids } from './helpers.mjs';

const { Document, MvRegister } = converge;

describe('a local write of another kind replaces', () => {
  test("set(['m','x'], 1) then set('m', 7) reads 7", () => {
    const d = new Document(ids.a);
    d.set(['m', 'x'], 1);
    d.set('m', 7);
    assert.equal(d.get('m'), 7);
    assert.deepEqual(d.toJSON(), { m: 7 });
    assert.deepEqual(d.conflicts(), []);
    // Elsewhere, the deltas say the same.
    const e = new Document(ids.b);
    e.merge(d.takeDelta());
    assert.deepEqual(e.toJSON(), { m: 7 });
    assertSameBytes(e.encode(), d.encode());
  });

  test("set('c', 's') then increment('c', 5) reads 5", () => {
    const d = new Document(ids.a);
    d.set('c', 's');
    d.increment('c', 5);
    assert.equal(d.get('c'), 5);
    assert.deepEqual(d.conflicts(), []);
  });

  test('a nested write over a value makes a map; a set over a counter replaces it', () => {
    const d = new Document(ids.a);
    d.set('m', 7);
    d.set(['m', 'x'], 1);
    assert.deepEqual(d.get('m'), { x: 1 });
    d.increment('n', 2);
    d.addToSet('n', 'a');
    assert.deepEqual(d.get('n'), ['a']);
    // A remove of what is not there replaces nothing.
    d.set('v', 'kept');
    d.removeFromSet('v', 'x');
    assert.equal(d.get('v'), 'kept');
  });

  test('concurrent writes of different kinds both stay; a write that saw both supersedes both', () => {
    const a = new Document(ids.a);
    const b = new Document(ids.b);
    a.set('k', 'text');
    b.increment('k', 3);
    const [da, db] = [a.takeDelta(), b.takeDelta()];
    a.merge(db);
    b.merge(da);
    for (const d of [a, b]) assert.deepEqual(d.conflicts().map((c) => [...c.kinds].sort()), [['counter', 'lww']]);
    a.set('k', 'final');
    b.merge(a.takeDelta());
    for (const d of [a, b]) {
      assert.equal(d.get('k'), 'final');
      assert.deepEqual(d.conflicts(), []);
    }
    assertSameBytes(a.encode(), b.encode());
  });
});

describe('one resolver shape', () => {
  function conflict() {
    const a = new Document(ids.a);
    const b = new Document(ids.b);
    a.set('status', 'held');
    b.set('status', 'released');
    const [da, db] = [a.takeDelta(), b.takeDelta()];
    a.merge(db);
    b.merge(da);
    return a;
  }

  test('a Document resolver returning a sibling object settles on its value', () => {
    const d = conflict();
    d.setPolicy(['status'], { type: 'resolver', name: 'first', resolve: (s) => s[0] });
    const read = d.read('status');
    assert.equal(read.outcome, 'resolved');
    assert.equal(typeof read.value, 'string', 'the value, not the sibling object');
    assert.equal(d.get('status'), read.value);
    assert.equal(read.value, read.siblings[0].value);
  });

  test('a Document resolver returning a plain value, or undefined', () => {
    const d = conflict();
    d.setPolicy(['status'], { type: 'resolver', name: 'join', resolve: (s) => s.map((x) => x.value).sort().join('+') });
    assert.equal(d.get('status'), 'held+released');
    d.setPolicy(['status'], { type: 'resolver', name: 'undecided', resolve: () => undefined });
    assert.equal(d.read('status').outcome, 'conflict');
  });

  test('MvRegister.resolve gets the same siblings and takes the same returns', () => {
    const a = new MvRegister(ids.a);
    const b = new MvRegister(ids.b);
    a.set('x');
    b.set('y');
    const [da, db] = [a.takeDelta(), b.takeDelta()];
    a.merge(db);
    b.merge(da);
    let seen;
    const first = a.resolve((s) => {
      seen = s;
      return s[0];
    });
    assert.deepEqual(Object.keys(seen[0]).sort(), ['timestamp', 'value', 'writer']);
    assert.equal(first, seen[0].value);
    assert.equal(a.resolve((s) => s.map((x) => x.value).sort().join('+')), 'x+y');
    assert.equal(a.resolve(() => undefined), undefined);
    assertCoded(() => a.resolve(() => Symbol('not a value')), 'ERR_INVALID_ARGUMENT');
    // The Document's multi-value field gets the same siblings in the same order.
    const d = new Document(ids.a);
    const e = new Document(ids.b);
    d.setMulti('f', 'x');
    e.setMulti('f', 'y');
    const [dd, de] = [d.takeDelta(), e.takeDelta()];
    d.merge(de);
    e.merge(dd);
    let docSeen;
    d.setPolicy(['f'], { type: 'resolver', name: 'first', resolve: (s) => ((docSeen = s), s[0]) });
    assert.equal(d.get('f'), first);
    assert.deepEqual(docSeen, seen);
  });
});
