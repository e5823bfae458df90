// Concurrent writes stay visible: LWW losers, MV siblings, Document conflicts() and
// read() under every kind of field policy, and type conflicts.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import util from 'node:util';
import { assertCoded, assertSameBytes, converge, ids, metOf } from './helpers.mjs';

const { LwwRegister, MvRegister, Document } = converge;

/** Two replicas of `Class` that each wrote once, 50 ms apart (a first), then synced. */
function concurrentPair(t, Class, writeA, writeB) {
  let now = 1_700_000_000_000;
  t.mock.method(Date, 'now', () => now);
  const a = new Class(ids.a);
  const b = new Class(ids.b);
  writeA(a);
  now += 50;
  writeB(b);
  const [da, db] = [a.takeDelta(), b.takeDelta()];
  const metA = metOf(a.merge(db));
  const metB = metOf(b.merge(da));
  return { a, b, metA, metB, now };
}

describe('LwwRegister conflicts', () => {
  test('concurrent writes: a winner, and writes() lists both, winner first', (t) => {
    const { a, b, metA, metB } = concurrentPair(t, LwwRegister, (r) => r.set('from a'), (r) => r.set('from b'));
    assert.equal(metA, 1, 'the merge met one concurrent write');
    assert.equal(metB, 1);
    for (const r of [a, b]) {
      assert.equal(r.value, 'from b', 'the later timestamp wins');
      const writes = r.writes();
      assert.equal(writes.length, 2);
      assert.deepEqual(
        writes.map((w) => [w.value, w.writer]),
        [
          ['from b', ids.b],
          ['from a', ids.a],
        ],
      );
      assert.equal(writes[0].timestamp.millis - writes[1].timestamp.millis, 50);
    }
    assertSameBytes(a.encode(), b.encode());
    assert.equal(a.metrics().conflicts, 1);
  });

  test('isAmbiguous: writes closer than the tolerance', (t) => {
    const { a } = concurrentPair(t, LwwRegister, (r) => r.set(1), (r) => r.set(2));
    assert.equal(a.isAmbiguous(0), false);
    assert.equal(a.isAmbiguous(10), false, '50 ms apart is clear at 10 ms');
    assert.equal(a.isAmbiguous(50), false, 'exactly the tolerance apart is not closer than it');
    assert.equal(a.isAmbiguous(51), true);
    assert.equal(a.isAmbiguous(60_000), true);
    assert.equal(a.isAmbiguous(-5), false, 'a negative tolerance counts as 0');
    assert.equal(a.isAmbiguous(Number.NaN), false, 'NaN counts as 0');
  });

  test('equal timestamps are ordered by replica id, the same on every replica', (t) => {
    t.mock.method(Date, 'now', () => 42_000);
    const a = new LwwRegister(ids.a);
    const b = new LwwRegister(ids.b);
    a.set('a');
    b.set('b');
    a.merge(b.takeDelta());
    b.merge(a.takeDelta());
    assert.equal(a.value, b.value);
    assert.equal(a.isAmbiguous(1), true);
    assertSameBytes(a.encode(), b.encode());
  });

  test('a write that has seen the conflict settles it', (t) => {
    const { a, b } = concurrentPair(t, LwwRegister, (r) => r.set('x'), (r) => r.set('y'));
    a.set('settled');
    b.merge(a.takeDelta());
    for (const r of [a, b]) {
      assert.equal(r.value, 'settled');
      assert.equal(r.writes().length, 1);
      assert.equal(r.isAmbiguous(1e9), false);
    }
  });
});

describe('MvRegister siblings', () => {
  test('concurrent writes all stay; resolve(fn) picks; a later write replaces them', (t) => {
    const { a, b, metA } = concurrentPair(t, MvRegister, (r) => r.set({ n: 1 }), (r) => r.set({ n: 2 }));
    assert.equal(metA, 1);
    assert.deepEqual(a.values(), b.values(), 'the same sibling order everywhere');
    assert.deepEqual(
      [...a.values()].sort((x, y) => x.n - y.n),
      [{ n: 1 }, { n: 2 }],
    );
    let seen;
    const picked = a.resolve((siblings) => {
      seen = siblings;
      return siblings.reduce((x, y) => (x.value.n > y.value.n ? x : y));
    });
    assert.deepEqual(picked, { n: 2 }, 'a returned sibling object means its value');
    assert.ok(Array.isArray(seen) && seen.length === 2);
    assert.deepEqual(
      seen.map((s) => [s.value, s.writer, s.timestamp]).sort((x, y) => x[0].n - y[0].n),
      [[{ n: 1 }, ids.a, null], [{ n: 2 }, ids.b, null]],
      'siblings are { value, writer, timestamp } objects, as a Document resolver gets',
    );
    assert.equal(a.resolve(() => undefined), undefined);
    // Any value is a settled value (the same shape as a Document resolver's).
    assert.deepEqual(a.resolve(() => ({ n: 3 })), { n: 3 });
    // What is not a value is refused.
    assertCoded(() => a.resolve(() => () => 'a function'), 'ERR_INVALID_ARGUMENT');
    // A thrower's error reaches the caller, and the register is untouched.
    assert.throws(() => a.resolve(() => {
      throw new RangeError('resolver failed');
    }), RangeError);
    assert.equal(a.values().length, 2);
    // Writing the resolved value supersedes the siblings everywhere.
    a.set(picked);
    b.merge(a.takeDelta());
    assert.deepEqual(b.values(), [{ n: 2 }]);
    assertSameBytes(a.encode(), b.encode());
  });

  test('three-way siblings', () => {
    const rs = [ids.a, ids.b, ids.c].map((id) => new MvRegister(id));
    rs.forEach((r, i) => r.set(`v${i}`));
    const deltas = rs.map((r) => r.takeDelta());
    for (const r of rs) for (const d of deltas) r.merge(d);
    for (const r of rs) assert.deepEqual([...r.values()].sort(), ['v0', 'v1', 'v2']);
    assert.deepEqual(rs[0].values(), rs[2].values());
  });
});

describe('Document conflicts and policies', () => {
  const path = ['holds', 'h1', 'status'];
  /** Two documents that wrote `path` concurrently ('held' by a, 'released' by b 50 ms later). */
  function lwwConflict(t) {
    return concurrentPair(
      t,
      Document,
      (d) => d.set(path, 'held'),
      (d) => d.set(path, 'released'),
    );
  }

  test('default policy: last writer wins, no attention needed, siblings still readable', (t) => {
    const { a, b, metA } = lwwConflict(t);
    assert.equal(metA, 1);
    for (const d of [a, b]) {
      assert.equal(d.get(path), 'released');
      const read = d.read(path);
      assert.equal(read.value, 'released');
      assert.equal(read.outcome, 'lastWriterWins');
      assert.equal(read.needsAttention, false);
      assert.deepEqual(read.siblings.map((s) => s.value), ['released', 'held']);
      assert.deepEqual(read.siblings.map((s) => s.writer), [ids.b, ids.a]);
      assert.deepEqual(read.ignored, []);
      assert.deepEqual(d.conflicts(), [], 'a clear LWW win needs no person');
    }
  });

  test("lww with skewToleranceMs: closer writes are 'ambiguous' and listed", (t) => {
    const { a } = lwwConflict(t);
    a.setPolicy(['holds', '*', 'status'], { type: 'lww', skewToleranceMs: 10 });
    assert.equal(a.read(path).outcome, 'lastWriterWins', '50 ms apart is clear at 10 ms');
    a.setPolicy(['holds', '*', 'status'], { type: 'lww', skewToleranceMs: 1000 });
    const read = a.read(path);
    assert.equal(read.outcome, 'ambiguous');
    assert.equal(read.needsAttention, true);
    assert.equal(read.value, 'released', 'the provisional winner is still the value');
    const conflicts = a.conflicts();
    assert.equal(conflicts.length, 1);
    assert.deepEqual(conflicts[0].path, path);
    assert.deepEqual(conflicts[0].kinds, ['lww']);
    assert.equal(conflicts[0].outcome, 'ambiguous');
    assert.equal(conflicts[0].siblings.length, 2);
  });

  test('policies are local read settings: they never change the state', (t) => {
    const { a, b } = lwwConflict(t);
    a.setPolicy(path, { type: 'siblings' });
    assert.equal(a.read(path).outcome, 'siblings');
    assert.equal(b.read(path).outcome, 'lastWriterWins');
    assertSameBytes(a.encode(), b.encode());
    const copy = Document.decode(a.encode());
    assert.equal(copy.read(path).outcome, 'lastWriterWins', 'policies are not encoded');
  });

  test("siblings policy: every concurrent value is the value", (t) => {
    const { a, b } = lwwConflict(t);
    for (const d of [a, b]) d.setPolicy(path, { type: 'siblings' });
    for (const d of [a, b]) {
      const read = d.read(path);
      assert.equal(read.outcome, 'siblings');
      assert.equal(read.needsAttention, true);
      assert.equal(read.value, undefined);
      assert.deepEqual(d.get(path), ['released', 'held']);
      assert.deepEqual(d.toJSON().holds.h1.status, ['released', 'held']);
      assert.equal(d.conflicts().length, 1);
    }
  });

  test('resolver policy: a JS function settles the read, or declares a conflict', (t) => {
    const { a, b } = lwwConflict(t);
    const calls = [];
    const policy = {
      type: 'resolver',
      name: 'prefer-held',
      resolve(siblings) {
        calls.push(siblings);
        return siblings.find((s) => s.value === 'held')?.value;
      },
    };
    for (const d of [a, b]) d.setPolicy(['holds', '*', 'status'], policy);
    for (const d of [a, b]) {
      const read = d.read(path);
      assert.equal(read.value, 'held');
      assert.equal(read.outcome, 'resolved');
      assert.equal(read.resolver, 'prefer-held');
      assert.equal(read.needsAttention, false);
      assert.equal(d.get(path), 'held');
      assert.equal(d.toJSON().holds.h1.status, 'held');
      assert.deepEqual(d.conflicts(), []);
    }
    // The resolver saw the siblings as plain objects, in the same order on both.
    assert.ok(calls.length >= 2);
    for (const siblings of calls) {
      assert.deepEqual(
        siblings.map((s) => [s.value, s.writer, typeof s.timestamp.millis]),
        [
          ['released', ids.b, 'number'],
          ['held', ids.a, 'number'],
        ],
      );
    }
    // Returning undefined, or throwing, leaves a visible conflict, never a silent pick.
    for (const resolve of [() => undefined, () => { throw new Error('cannot decide'); }, () => () => 'not a value']) {
      a.setPolicy(['holds', '*', 'status'], { type: 'resolver', name: 'undecided', resolve });
      const read = a.read(path);
      assert.equal(read.outcome, 'conflict');
      assert.equal(read.resolver, 'undecided');
      assert.equal(read.needsAttention, true);
      assert.equal(read.value, 'released', 'the provisional LWW value');
      assert.equal(a.conflicts().length, 1);
      assert.equal(a.conflicts()[0].outcome, 'conflict');
    }
    // Writing the chosen value settles it for good.
    a.set(path, 'held');
    b.merge(a.takeDelta());
    assert.equal(b.read(path).outcome, 'single');
    assert.equal(b.read(path).value, 'held');
  });

  test('authority policy: only the named replicas count', (t) => {
    const { a } = lwwConflict(t);
    a.setPolicy(path, { type: 'authority', replicas: [ids.a] });
    let read = a.read(path);
    assert.equal(read.value, 'held', "b's later write is ignored");
    assert.equal(read.outcome, 'single');
    assert.deepEqual(read.siblings.map((s) => s.writer), [ids.a]);
    assert.deepEqual(read.ignored.map((s) => [s.value, s.writer]), [['released', ids.b]]);
    assert.equal(a.get(path), 'held');
    a.setPolicy(path, { type: 'authority', replicas: [ids.a, ids.b] });
    read = a.read(path);
    assert.equal(read.value, 'released');
    assert.equal(read.outcome, 'lastWriterWins');
    assert.deepEqual(read.ignored, []);
    a.setPolicy(path, { type: 'authority', replicas: [ids.c] });
    read = a.read(path);
    assert.equal(read.outcome, 'empty');
    assert.equal(read.value, undefined);
    assert.equal(read.ignored.length, 2);
    assert.equal(a.get(path), null);
  });

  test("the most specific pattern applies; '*' matches one key", (t) => {
    const { a } = lwwConflict(t);
    a.setPolicy(['holds', '*', '*'], { type: 'siblings' });
    a.setPolicy(['holds', '*', 'status'], { type: 'lww', skewToleranceMs: 0 });
    assert.equal(a.read(path).outcome, 'lastWriterWins');
    a.setPolicy(['holds', 'h1', 'status'], { type: 'siblings' });
    assert.equal(a.read(path).outcome, 'siblings');
    // Re-setting the same pattern replaces its policy.
    a.setPolicy(['holds', 'h1', 'status'], { type: 'lww' });
    assert.equal(a.read(path).outcome, 'lastWriterWins');
  });

  test('setMulti siblings: listed as conflicts under the siblings policy', () => {
    const a = new Document(ids.a);
    const b = new Document(ids.b);
    a.setMulti('note', 'one');
    b.setMulti('note', 'two');
    a.merge(b.takeDelta());
    b.merge(a.takeDelta());
    for (const d of [a, b]) {
      d.setPolicy(['note'], { type: 'siblings' });
      const read = d.read('note');
      assert.equal(read.outcome, 'siblings');
      assert.deepEqual(read.siblings.map((s) => [s.value, s.timestamp]), [
        ['one', null],
        ['two', null],
      ]);
      assert.deepEqual(d.get('note'), ['one', 'two']);
      assert.deepEqual(d.conflicts().map((c) => c.path), [['note']]);
    }
    assertSameBytes(a.encode(), b.encode());
    // A write that has seen both replaces them.
    a.setMulti('note', 'merged');
    b.merge(a.takeDelta());
    assert.equal(b.read('note').outcome, 'single');
    assert.equal(b.get('note'), 'merged');
  });

  test('type conflicts: replicas wrote different kinds at one key', () => {
    const a = new Document(ids.a);
    const b = new Document(ids.b);
    const c = new Document(ids.c);
    a.set('total', 'ten');
    b.increment('total', 10);
    c.addToSet('total', 10);
    for (const x of [a, b, c]) x.merge(a.encode()), x.merge(b.encode()), x.merge(c.encode());
    for (const d of [a, b, c]) {
      const conflicts = d.conflicts();
      assert.equal(conflicts.length, 1);
      assert.deepEqual(conflicts[0].path, ['total']);
      assert.deepEqual([...conflicts[0].kinds].sort(), ['counter', 'lww', 'set']);
      // The shown value is the same everywhere (set first, per the documented order).
      assert.deepEqual(d.get('total'), [10]);
    }
    assertSameBytes(a.encode(), b.encode());
    assertSameBytes(b.encode(), c.encode());
    // A map against a register at the same key.
    const m = new Document(ids.a);
    const r = new Document(ids.b);
    m.set(['profile', 'name'], 'ann');
    r.set('profile', 'none');
    m.merge(r.takeDelta());
    r.merge(m.takeDelta());
    for (const d of [m, r]) {
      assert.deepEqual(d.get('profile'), { name: 'ann' }, 'a map is shown before a register');
      assert.deepEqual(
        d.conflicts().map((c) => [c.path, [...c.kinds].sort()]),
        [[['profile'], ['lww', 'map']]],
      );
    }
  });

  test('remove vs concurrent update: the update survives', () => {
    const a = new Document(ids.a);
    const b = new Document(ids.b);
    a.set(['cart', 'owner'], 'ann');
    a.increment(['cart', 'count']);
    b.merge(a.takeDelta());
    b.remove('cart');
    a.increment(['cart', 'count']); // concurrent with the remove
    a.merge(b.takeDelta());
    b.merge(a.takeDelta());
    // The owner is gone; a's counter entry holds a's running total, so a's first
    // increment, which the remove had seen, survives with the concurrent one (the
    // bounded document counter of issue 13: concurrent increments win over a reset).
    for (const d of [a, b]) assert.deepEqual(d.toJSON(), { cart: { count: 2 } });
  });

  test('merge reports the concurrent writes it met', () => {
    const docs = [ids.a, ids.b, ids.c].map((id) => new Document(id));
    docs.forEach((d, i) => {
      d.set('x', i);
      d.set('y', i);
    });
    const [a, b, c] = docs;
    assert.equal(a.merge(b.takeDelta()).concurrentWrites, 2, 'x and y each met one');
    // Counted as documented: a changed register holding n live writes counts n - 1.
    const report = a.merge(c.takeDelta());
    assert.equal(report.concurrentWrites, 4, 'x and y now each hold three writes');
    assert.deepEqual(report.byPath, [
      { path: ['x'], writes: 2 },
      { path: ['y'], writes: 2 },
    ]);
    assert.deepEqual(report.changed, [['x'], ['y']]);
    assert.equal(a.merge(c.encode()).concurrentWrites, 0, 'nothing new');
    assert.deepEqual(a.merge(b.encode()).changed, [], 'nothing new');
    assert.equal(a.metrics().conflicts, 6);
  });

  test("merge's report reads as a plain object: the same fields, values and output, parsed or not", () => {
    const [a, b] = [new Document(ids.a), new Document(ids.b)];
    a.set('x', 1);
    b.set('x', 2);
    b.set('y', 3);
    const expected = {
      changed: [['x'], ['y']],
      concurrentWrites: 1,
      byPath: [{ path: ['x'], writes: 1 }],
      policies: [
        { path: ['x'], pattern: '(default)', policy: 'lww', outcome: 'lastWriterWins', verdict: 'settled', ignored: 0 },
      ],
    };
    const fresh = () => {
      const c = new Document(ids.c);
      c.merge(a.encode());
      return c.merge(b.encode());
    };
    // Unread: keys, JSON, spread, structuredClone and inspect see the whole report.
    assert.deepEqual(Object.keys(fresh()), Object.keys(expected));
    assert.deepEqual(JSON.parse(JSON.stringify(fresh())), expected);
    assert.deepStrictEqual({ ...fresh() }, expected);
    assert.deepStrictEqual(structuredClone(fresh()), expected);
    assert.match(util.inspect(fresh(), { depth: 4 }), /changed: \[ \[ 'x' \], \[ 'y' \] \]/);
    assert.doesNotMatch(util.inspect(fresh()), /Getter/);
    // Read: the same value on every read, and writable like any field.
    const report = fresh();
    assert.equal(report.changed, report.changed);
    report.changed.push(['z']);
    assert.deepEqual(report.changed, [['x'], ['y'], ['z']]);
    report.concurrentWrites = 7;
    assert.equal(report.concurrentWrites, 7);
    assert.deepEqual(report.policies, expected.policies);
    assert.deepStrictEqual(fresh(), expected);
  });

  test("merge's report is its own merge's, read after later merges and after its document is freed", () => {
    const [a, b, c] = [new Document(ids.a), new Document(ids.b), new Document(ids.c)];
    a.set('x', 1);
    b.set('x', 2);
    c.set('y', 3);
    const d = new Document(ids.d);
    const first = d.merge(a.encode());
    const second = d.merge(b.encode());
    const third = d.merge(c.encode());
    d.free();
    // Read in another order than made, the last after the document is gone.
    assert.deepEqual(third.changed, [['y']]);
    assert.equal(third.concurrentWrites, 0);
    assert.deepEqual(second.changed, [['x']]);
    assert.deepEqual(second.byPath, [{ path: ['x'], writes: 1 }]);
    assert.deepEqual(first, { changed: [['x']], concurrentWrites: 0, byPath: [], policies: [] });
    for (const doc of [a, b, c]) doc.free();
  });

  test("merge's report keeps keys that JSON escapes, and keys it copies as they are", () => {
    const keys = ['plain', 'a "quoted" key', 'back\\slash', 'tab\there', 'nul\u0000', 'é ü 字 🎉'];
    const [a, b] = [new Document(ids.a), new Document(ids.b)];
    for (const k of keys) a.set(['m', k], 1);
    const report = b.merge(a.encode());
    assert.deepEqual(report.changed, keys.map((k) => ['m', k]).sort((x, y) => Buffer.compare(Buffer.from(x[1]), Buffer.from(y[1]))));
  });
});
