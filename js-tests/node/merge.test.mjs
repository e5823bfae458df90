// Merge in any order, encode/decode round trips, version() and compareVersions.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertSameBytes,
  converge,
  hex,
  ids,
  permutations,
  metOf,
  prng,
} from './helpers.mjs';

const { GCounter, PNCounter, OrSet, LwwRegister, MvRegister, Document, compareVersions } =
  converge;

/**
 * One scenario per class: three replicas write, some after seeing others' deltas, so
 * the deltas depend on each other causally (a remove after an add, an overwrite after
 * a write). Returns the deltas in the order they were made, the replicas, and a check
 * of the final value.
 */
const scenarios = {
  GCounter() {
    const [a, b, c] = [new GCounter(ids.a), new GCounter(ids.b), new GCounter(ids.c)];
    const d = [];
    a.increment(1);
    d.push(a.takeDelta());
    a.increment(2);
    d.push(a.takeDelta());
    b.increment(5);
    d.push(b.takeDelta());
    c.merge(d[0]);
    c.increment(1);
    d.push(c.takeDelta());
    b.increment(10);
    d.push(b.takeDelta());
    return { Class: GCounter, deltas: d, replicas: [a, b, c], check: (r) => assert.equal(r.value, 19) };
  },
  PNCounter() {
    const [a, b, c] = [new PNCounter(ids.a), new PNCounter(ids.b), new PNCounter(ids.c)];
    const d = [];
    a.increment(7);
    d.push(a.takeDelta());
    a.decrement(2);
    d.push(a.takeDelta());
    b.decrement(9);
    d.push(b.takeDelta());
    c.merge(d[1]);
    c.increment(3);
    d.push(c.takeDelta());
    b.increment(1);
    d.push(b.takeDelta());
    return { Class: PNCounter, deltas: d, replicas: [a, b, c], check: (r) => assert.equal(r.value, 0) };
  },
  OrSet() {
    const [a, b, c] = [new OrSet(ids.a), new OrSet(ids.b), new OrSet(ids.c)];
    const d = [];
    a.add('x');
    d.push(a.takeDelta());
    a.add('y');
    d.push(a.takeDelta());
    b.merge(d[0]);
    b.remove('x'); // removes a's x: this delta must not also claim y's dot
    d.push(b.takeDelta());
    c.add('x'); // concurrent with b's remove: survives
    c.add({ z: [1] });
    d.push(c.takeDelta());
    b.merge(d[3]);
    b.remove({ z: [1] });
    d.push(b.takeDelta());
    return {
      Class: OrSet,
      deltas: d,
      replicas: [a, b, c],
      check: (r) => assert.deepEqual(r.values(), ['x', 'y']),
    };
  },
  LwwRegister(t) {
    let now = 1_000_000;
    t.mock.method(Date, 'now', () => now);
    const [a, b, c] = [new LwwRegister(ids.a), new LwwRegister(ids.b), new LwwRegister(ids.c)];
    const d = [];
    a.set('a1');
    d.push(a.takeDelta());
    now += 10;
    b.merge(d[0]);
    b.set('b1'); // has seen a1: replaces it
    d.push(b.takeDelta());
    now += 10;
    c.set('c1'); // concurrent with everything
    d.push(c.takeDelta());
    now += 10;
    a.set('a2'); // replaces a1; concurrent with b1 and c1
    d.push(a.takeDelta());
    now -= 100; // b's clock goes backwards: b2 still replaces b1, having seen it
    b.set('b2');
    d.push(b.takeDelta());
    return {
      Class: LwwRegister,
      deltas: d,
      replicas: [a, b, c],
      check: (r) => {
        assert.equal(r.value, 'a2');
        assert.deepEqual(
          r.writes().map((w) => w.value).sort(),
          ['a2', 'b2', 'c1'],
        );
      },
    };
  },
  MvRegister() {
    const [a, b, c] = [new MvRegister(ids.a), new MvRegister(ids.b), new MvRegister(ids.c)];
    const d = [];
    a.set('a1');
    d.push(a.takeDelta());
    b.merge(d[0]);
    b.set('b1');
    d.push(b.takeDelta());
    c.set('c1');
    d.push(c.takeDelta());
    a.set('a2');
    d.push(a.takeDelta());
    c.merge(d[1]);
    c.set('c2'); // replaces c1 and b1 (and a1), not a2
    d.push(c.takeDelta());
    return {
      Class: MvRegister,
      deltas: d,
      replicas: [a, b, c],
      check: (r) => assert.deepEqual([...r.values()].sort(), ['a2', 'c2']),
    };
  },
  Document() {
    const [a, b, c] = [new Document(ids.a), new Document(ids.b), new Document(ids.c)];
    const d = [];
    a.set(['cart', 'owner'], 'ann');
    a.addToSet(['cart', 'items'], 'apple');
    a.increment(['cart', 'count']);
    d.push(a.takeDelta());
    b.merge(d[0]);
    b.remove('cart'); // removes what b observed...
    d.push(b.takeDelta());
    c.addToSet(['cart', 'items'], 'pear'); // ...a concurrent update under it survives
    c.setMulti('note', 'from c');
    d.push(c.takeDelta());
    // a has not seen the remove either: a's counter entry is its running total, so a's
    // earlier 1 survives with the 2 (the bounded document counter, issue 13).
    a.increment(['cart', 'count'], 2);
    a.enable('flag');
    d.push(a.takeDelta());
    b.setMulti('note', 'from b');
    b.decrement('balance', 5);
    d.push(b.takeDelta());
    c.merge(d[3]);
    c.disable('flag');
    c.set(['deep', 'a', 'b', 'c'], { v: [1, 2, 3] });
    d.push(c.takeDelta());
    return {
      Class: Document,
      deltas: d,
      replicas: [a, b, c],
      check: (r) =>
        assert.deepEqual(r.toJSON(), {
          balance: -5,
          cart: { count: 3, items: ['pear'] },
          deep: { a: { b: { c: { v: [1, 2, 3] } } } },
          // A multi-value register keeps both concurrent writes (in dot order).
          note: ['from b', 'from c'],
        }),
    };
  },
};

describe('deltas merged in every order give equal bytes', () => {
  for (const [name, make] of Object.entries(scenarios)) {
    test(name, (t) => {
      const { Class, deltas, replicas, check } = make(t);
      assert.ok(deltas.every((x) => x instanceof Uint8Array));
      // The reference: the join of the full states.
      const reference = new Class();
      for (const r of replicas) reference.merge(r.encode());
      check(reference);
      const expected = reference.encode();
      let orders = 0;
      for (const order of permutations(deltas)) {
        const r = new Class(); // a random id: the id is not part of the state
        for (const delta of order) {
          const met = metOf(r.merge(delta));
          assert.equal(typeof met, 'number');
        }
        assertSameBytes(r.encode(), expected, `${name}: order ${orders}`);
        r.free();
        orders++;
      }
      assert.ok(orders >= 120);
      // Duplicates, replays, prefixes of full states and deltas mixed: same bytes.
      const random = prng(7);
      for (let round = 0; round < 50; round++) {
        const r = new Class();
        const pool = [...deltas, ...deltas.filter(() => random() < 0.5), ...replicas.map((x) => x.encode())];
        pool.sort(() => random() - 0.5);
        for (const x of pool) r.merge(x);
        assertSameBytes(r.encode(), expected, `${name}: duplicated round ${round}`);
        check(r);
        r.free();
      }
      // The replicas themselves converge once each has every delta.
      for (const r of replicas) {
        for (const delta of deltas) r.merge(delta);
        assertSameBytes(r.encode(), expected, `${name}: replica ${r.replicaId}`);
      }
      // Merging is idempotent: merging the result again changes nothing and meets no
      // new concurrent writes.
      assert.equal(metOf(reference.merge(expected)), 0);
      assertSameBytes(reference.encode(), expected);
    });
  }
});

describe('encode/decode round trip', () => {
  for (const [name, make] of Object.entries(scenarios)) {
    test(name, (t) => {
      const { Class, replicas, check } = make(t);
      const original = new Class(ids.d);
      for (const r of replicas) original.merge(r);
      const bytes = original.encode();
      assert.ok(bytes instanceof Uint8Array);
      const copy = Class.decode(bytes);
      assert.notEqual(copy.replicaId, original.replicaId, 'decode picks a fresh id when given none');
      assertSameBytes(copy.encode(), bytes);
      check(copy);
      assert.deepEqual(copy.version(), original.version());
      // From a plain array of numbers, and with an explicit replica id.
      const named = Class.decode([...bytes], ids.a.replace('a1', 'e5'));
      assert.equal(named.replicaId, '00000000000000e5');
      assertSameBytes(named.encode(), bytes);
      // Equal states give equal bytes, however they were reached.
      assert.equal(hex(Class.decode(copy.encode()).encode()), hex(bytes));
      // A decoded replica keeps working: it writes and merges back.
      copy.merge(original.encode());
      assertSameBytes(copy.encode(), bytes);
    });
  }

  test('a decoded replica writes under its own id and merges back', () => {
    const a = new Document(ids.a);
    a.set('x', 1);
    const b = Document.decode(a.encode(), ids.b);
    b.set('y', 2);
    b.increment('n');
    a.merge(b.takeDelta());
    assert.deepEqual(a.toJSON(), { n: 1, x: 1, y: 2 });
    assert.deepEqual(Object.keys(a.version()).sort(), [ids.a, ids.b]);
  });
});

describe('version() and compareVersions', () => {
  const writers = {
    GCounter: (r) => r.increment(),
    PNCounter: (r) => r.decrement(),
    OrSet: (r) => r.add(r.replicaId + Math.random()),
    LwwRegister: (r) => r.set(Math.random()),
    MvRegister: (r) => r.set(Math.random()),
    Document: (r) => r.set(['k', r.replicaId], Math.random()),
  };
  const classes = { GCounter, PNCounter, OrSet, LwwRegister, MvRegister, Document };

  for (const [name, write] of Object.entries(writers)) {
    test(`${name}: equal, before, after, concurrent`, () => {
      const Class = classes[name];
      const a = new Class(ids.a);
      const b = new Class(ids.b);
      assert.equal(compareVersions(a.version(), b.version()), 'equal');
      write(a);
      write(a);
      const version = a.version();
      assert.deepEqual(Object.keys(version), [ids.a]);
      assert.ok(Number.isInteger(version[ids.a]) && version[ids.a] >= 2);
      assert.equal(compareVersions(a.version(), b.version()), 'after');
      assert.equal(compareVersions(b.version(), a.version()), 'before', 'b is stale');
      b.merge(a.takeDelta());
      assert.equal(compareVersions(a.version(), b.version()), 'equal');
      write(b);
      assert.equal(compareVersions(a.version(), b.version()), 'before');
      write(a);
      assert.equal(compareVersions(a.version(), b.version()), 'concurrent');
      assert.equal(compareVersions(b.version(), a.version()), 'concurrent');
      a.merge(b.takeDelta());
      b.merge(a.takeDelta());
      assert.equal(compareVersions(a.version(), b.version()), 'equal');
      assert.deepEqual(a.version(), b.version());
      assertSameBytes(a.encode(), b.encode());
    });
  }

  // Regression (issue 14, item 7): a counter's version counts its amounts, so it
  // passed 2^53 - 1 and version() gave an imprecise number that compareVersions refused.
  test('counts past 2^53 - 1 are bigints that compareVersions takes', () => {
    for (const Class of [GCounter, PNCounter]) {
      const a = new Class(ids.a);
      const b = new Class(ids.b);
      a.increment(Number.MAX_SAFE_INTEGER);
      b.merge(a.encode());
      assert.equal(typeof a.version()[ids.a], 'number');
      a.increment(Number.MAX_SAFE_INTEGER);
      const version = a.version();
      assert.equal(version[ids.a], 2n * BigInt(Number.MAX_SAFE_INTEGER), Class.name);
      assert.equal(compareVersions(version, b.version()), 'after', Class.name);
      assert.equal(compareVersions(b.version(), version), 'before', Class.name);
      b.merge(a.encode());
      assert.equal(compareVersions(a.version(), b.version()), 'equal', Class.name);
    }
  });

  test('on literal version objects', () => {
    const [x, y] = [ids.a, ids.b];
    assert.equal(compareVersions({}, {}), 'equal');
    assert.equal(compareVersions({ [x]: 1 }, { [x]: 1 }), 'equal');
    assert.equal(compareVersions({ [x]: 1 }, { [x]: 2 }), 'before');
    assert.equal(compareVersions({ [x]: 3, [y]: 1 }, { [x]: 2 }), 'after');
    assert.equal(compareVersions({ [x]: 1 }, { [y]: 1 }), 'concurrent');
    assert.equal(compareVersions({ [x]: 2, [y]: 1 }, { [x]: 1, [y]: 2 }), 'concurrent');
    // A zero entry is the same as no entry; short ids name the same replica as padded ones.
    assert.equal(compareVersions({ [x]: 0 }, {}), 'equal');
    assert.equal(compareVersions({ a1: 1 }, { [x]: 1 }), 'equal');
    assert.equal(
      compareVersions({ [x]: Number.MAX_SAFE_INTEGER }, { [x]: Number.MAX_SAFE_INTEGER - 1 }),
      'after',
    );
    // Bigints (what version() gives past 2^53 - 1) compare with numbers.
    assert.equal(compareVersions({ [x]: 2n ** 64n - 1n }, { [x]: 5 }), 'after');
    assert.equal(compareVersions({ [x]: 5n }, { [x]: 5 }), 'equal');
  });
});
