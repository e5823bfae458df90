// Every class's mutators and reads, as a JavaScript user calls them.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertCoded, converge, ids } from './helpers.mjs';

const {
  GCounter,
  PNCounter,
  OrSet,
  LwwRegister,
  MvRegister,
  Document,
  compareVersions,
  randomReplicaId,
} = converge;

const CLASSES = { GCounter, PNCounter, OrSet, LwwRegister, MvRegister, Document };

describe('module surface', () => {
  test('exports the six classes and two functions (and three test-only internals)', () => {
    assert.deepEqual(Object.keys(converge).sort(), [
      'Document',
      'GCounter',
      'LwwRegister',
      'MvRegister',
      'OrSet',
      'PNCounter',
      '__limitMemoryForTests',
      '__trapForTests',
      '__wasmMemoryBytes',
      'compareVersions',
      'randomReplicaId',
    ]);
  });

  test('randomReplicaId gives distinct 16-hex-digit ids', () => {
    const seen = new Set();
    for (let i = 0; i < 200; i++) {
      const id = randomReplicaId();
      assert.match(id, /^[0-9a-f]{16}$/);
      seen.add(id);
    }
    assert.equal(seen.size, 200);
  });

  for (const [name, Class] of Object.entries(CLASSES)) {
    test(`${name}: shared methods and replica ids`, () => {
      const given = new Class(ids.a);
      assert.equal(given.replicaId, ids.a);
      const random = new Class();
      assert.match(random.replicaId, /^[0-9a-f]{16}$/);
      assert.notEqual(random.replicaId, new Class().replicaId);
      // Ids are 1 to 16 hex digits, normalised to 16 lower-case digits.
      assert.equal(new Class('ABCDEF0123456789').replicaId, 'abcdef0123456789');
      for (const method of [
        'encode',
        'merge',
        'takeDelta',
        'version',
        'messageFor',
        'receive',
        'hello',
        'syncToken',
        'resume',
        'save',
        'metrics',
        'free',
      ]) {
        assert.equal(typeof given[method], 'function', `${name}.${method}`);
      }
      assert.equal(typeof Class.decode, 'function');
      assert.equal(typeof Class.restore, 'function');
      // A fresh replica has nothing to hand out and has seen nothing.
      assert.equal(given.takeDelta(), undefined);
      assert.deepEqual(given.version(), {});
      assert.equal(compareVersions(given.version(), random.version()), 'equal');
      const metrics = given.metrics();
      for (const key of [
        'deltasSent',
        'fullStatesSent',
        'fallbacks',
        'bytesSent',
        'deltasReceived',
        'fullStatesReceived',
        'bytesReceived',
        'rejected',
        'conflicts',
        'dotValueClashes',
        'bufferDepth',
      ]) {
        assert.equal(metrics[key], 0, `metrics.${key}`);
      }
      assert.deepEqual(metrics.peers, {});
      // Symbol.dispose is wired to free() where the runtime has it.
      if (typeof Symbol.dispose === 'symbol') {
        assert.equal(typeof given[Symbol.dispose], 'function');
        given[Symbol.dispose]();
      } else {
        given.free();
      }
      random.free();
    });
  }
});

describe('GCounter', () => {
  test('increment, value, version, takeDelta', () => {
    const c = new GCounter(ids.a);
    assert.equal(c.value, 0);
    c.increment();
    c.increment(4);
    c.increment(0);
    assert.equal(c.value, 5);
    assert.deepEqual(c.version(), { [ids.a]: 5 });
    const delta = c.takeDelta();
    assert.ok(delta instanceof Uint8Array && delta.length > 0);
    assert.equal(c.takeDelta(), undefined, 'the delta was taken');
    const other = new GCounter(ids.b);
    other.increment(2);
    other.merge(delta);
    assert.equal(other.value, 7);
    // Merging is a pointwise max: a stale, smaller delta changes nothing.
    c.increment(10);
    other.merge(c.takeDelta());
    other.merge(delta);
    assert.equal(other.value, 17);
  });

  test('past 2^53 the value is a bigint, exactly', () => {
    const c = new GCounter(ids.a);
    c.increment(Number.MAX_SAFE_INTEGER);
    assert.equal(c.value, Number.MAX_SAFE_INTEGER);
    c.increment(Number.MAX_SAFE_INTEGER);
    assert.equal(c.value, 2n * BigInt(Number.MAX_SAFE_INTEGER));
  });

  test('merge accepts another GCounter object', () => {
    const a = new GCounter(ids.a);
    const b = new GCounter(ids.b);
    a.increment(1);
    b.increment(2);
    a.merge(b);
    assert.equal(a.value, 3);
  });
});

describe('PNCounter', () => {
  test('increment, decrement, signed value', () => {
    const c = new PNCounter(ids.a);
    c.increment();
    c.increment(10);
    c.decrement();
    c.decrement(30);
    assert.equal(c.value, -20);
    const d = new PNCounter(ids.b);
    d.increment(25);
    d.merge(c.takeDelta());
    c.merge(d.takeDelta());
    assert.equal(c.value, 5);
    assert.equal(d.value, 5);
    assert.deepEqual(c.version(), d.version());
  });

  test('beyond -2^53 the value is a bigint', () => {
    const c = new PNCounter(ids.a);
    c.decrement(Number.MAX_SAFE_INTEGER);
    c.decrement(Number.MAX_SAFE_INTEGER);
    assert.equal(c.value, -2n * BigInt(Number.MAX_SAFE_INTEGER));
  });
});

describe('OrSet', () => {
  test('add, has, remove, size, values, clear', () => {
    const s = new OrSet(ids.a);
    s.add('apple');
    s.add('pear');
    s.add('apple');
    s.add(42);
    s.add({ sku: 'x', qty: 2 });
    s.add([1, 2]);
    s.add(null);
    s.add(true);
    s.add(new Uint8Array([1, 2, 3]));
    assert.equal(s.size, 8);
    assert.ok(s.has('apple'));
    assert.ok(s.has({ qty: 2, sku: 'x' }), 'objects compare by value, whatever the key order');
    assert.ok(s.has([1, 2]));
    assert.ok(!s.has([2, 1]));
    assert.ok(s.has(new Uint8Array([1, 2, 3])));
    assert.ok(!s.has('plum'));
    s.remove('apple');
    s.remove('never added');
    assert.ok(!s.has('apple'));
    assert.equal(s.size, 7);
    const values = s.values();
    assert.equal(values.length, 7);
    assert.ok(values.some((v) => v instanceof Uint8Array && v.length === 3));
    assert.ok(values.some((v) => v && v.sku === 'x'));
    s.clear();
    assert.equal(s.size, 0);
    assert.deepEqual(s.values(), []);
  });

  test('values come in an order every replica agrees on', () => {
    const a = new OrSet(ids.a);
    const b = new OrSet(ids.b);
    for (const v of ['c', 'a', 3, 'b']) a.add(v);
    for (const v of [{ k: 1 }, 1, 'z', [0], false]) b.add(v);
    a.merge(b.takeDelta());
    b.merge(a.takeDelta());
    assert.deepEqual(a.values(), b.values());
    assert.equal(a.size, 9);
  });

  test('add wins over a concurrent remove; an observed remove removes', () => {
    const a = new OrSet(ids.a);
    const b = new OrSet(ids.b);
    a.add('x');
    a.add('y');
    b.merge(a.takeDelta());
    b.remove('x'); // observed: x's only dot
    b.remove('y');
    a.add('y'); // concurrent with b's remove of y
    a.merge(b.takeDelta());
    b.merge(a.takeDelta());
    for (const s of [a, b]) {
      assert.ok(!s.has('x'));
      assert.ok(s.has('y'));
    }
  });
});

describe('LwwRegister', () => {
  test('set, value, writes', () => {
    const r = new LwwRegister(ids.a);
    assert.equal(r.value, undefined);
    assert.deepEqual(r.writes(), []);
    r.set('one');
    r.set({ nested: ['two', 2] });
    assert.deepEqual(r.value, { nested: ['two', 2] });
    const writes = r.writes();
    assert.equal(writes.length, 1, 'a later write of the same replica supersedes');
    assert.equal(writes[0].writer, ids.a);
    assert.deepEqual(writes[0].value, { nested: ['two', 2] });
    assert.equal(typeof writes[0].timestamp.millis, 'number');
    assert.equal(typeof writes[0].timestamp.logical, 'number');
    assert.equal(r.isAmbiguous(1000), false);
    r.set(null);
    assert.equal(r.value, null, 'null is a value');
  });

  test('a write that has seen another replaces it, whatever the clocks say', (t) => {
    let now = 5_000_000;
    t.mock.method(Date, 'now', () => now);
    const a = new LwwRegister(ids.a);
    const b = new LwwRegister(ids.b);
    now = 9_000_000; // a's clock runs far ahead
    a.set('from a, clock ahead');
    b.merge(a.takeDelta());
    now = 5_000_100; // b's clock lags, yet b has seen a's write
    b.set('from b, after seeing a');
    a.merge(b.takeDelta());
    for (const r of [a, b]) {
      assert.equal(r.value, 'from b, after seeing a');
      assert.equal(r.writes().length, 1);
    }
  });
});

describe('MvRegister', () => {
  test('set, values, resolve', () => {
    const r = new MvRegister(ids.a);
    assert.deepEqual(r.values(), []);
    assert.equal(r.resolve(() => 'never called'), undefined);
    r.set('v1');
    r.set('v2');
    assert.deepEqual(r.values(), ['v2']);
    let called = false;
    assert.equal(
      r.resolve(() => {
        called = true;
      }),
      'v2',
    );
    assert.equal(called, false, 'a single sibling is returned without calling the resolver');
  });
});

describe('Document', () => {
  test('registers, counters, sets, flags, nested maps, toJSON', () => {
    const d = new Document(ids.a);
    d.set('title', 'Trip');
    d.set(['holds', 'h1', 'status'], 'confirmed');
    d.set(['holds', 'h1', 'meta'], { seats: [1, 2], note: null });
    d.increment(['holds', 'h1', 'seats']);
    d.increment(['holds', 'h1', 'seats'], 4);
    d.decrement(['holds', 'h1', 'seats'], 2);
    d.decrement('balance');
    d.addToSet(['tags'], 'beach');
    d.addToSet('tags', 'sun');
    d.addToSet('tags', 'rain');
    d.removeFromSet('tags', 'rain');
    d.enable('public');
    d.enable('archived');
    d.disable('archived');
    d.setMulti('notes', 'bring towels');
    // A disabled flag (like an emptied set) holds no dots, so its key is absent
    // rather than false (see README: flags read as booleans only while enabled).
    assert.deepEqual(d.toJSON(), {
      balance: -1,
      holds: { h1: { meta: { note: null, seats: [1, 2] }, seats: 3, status: 'confirmed' } },
      notes: 'bring towels',
      public: true,
      tags: ['beach', 'sun'],
      title: 'Trip',
    });
    assert.equal(d.get('title'), 'Trip');
    assert.equal(d.get('public'), true);
    assert.equal(d.get('archived'), undefined);
    d.removeFromSet('tags', 'beach');
    d.removeFromSet('tags', 'sun');
    assert.equal(d.get('tags'), undefined, 'an emptied set is absent too');
    d.addToSet('tags', 'beach');
    d.addToSet('tags', 'sun');
    assert.equal(d.get(['holds', 'h1', 'seats']), 3);
    assert.deepEqual(d.get(['holds', 'h1']), {
      meta: { note: null, seats: [1, 2] },
      seats: 3,
      status: 'confirmed',
    });
    assert.deepEqual(d.get('tags'), ['beach', 'sun']);
    assert.equal(d.get('missing'), undefined);
    assert.equal(d.get(['holds', 'missing', 'deeper']), undefined);
    d.remove(['holds', 'h1', 'meta']);
    d.remove('balance');
    assert.equal(d.get(['holds', 'h1', 'meta']), undefined);
    assert.equal(d.get('balance'), undefined);
    assert.equal(d.toJSON().balance, undefined);
  });

  test('read gives the register read, undefined for non-registers', () => {
    const d = new Document(ids.a);
    d.set('name', 'x');
    d.increment('n');
    const read = d.read('name');
    assert.equal(read.value, 'x');
    assert.equal(read.outcome, 'single');
    assert.equal(read.needsAttention, false);
    assert.equal(read.siblings.length, 1);
    assert.equal(read.siblings[0].writer, ids.a);
    assert.deepEqual(read.ignored, []);
    assert.equal(d.read('n'), undefined);
    assert.equal(d.read('missing'), undefined);
    assert.deepEqual(d.conflicts(), []);
  });

  test('takeDelta carries exactly the local writes since the last call', () => {
    const a = new Document(ids.a);
    const b = new Document(ids.b);
    a.set('x', 1);
    const first = a.takeDelta();
    a.set('y', 2);
    const second = a.takeDelta();
    assert.equal(a.takeDelta(), undefined);
    b.merge(second);
    assert.deepEqual(b.toJSON(), { y: 2 });
    b.merge(first);
    assert.deepEqual(b.toJSON(), { x: 1, y: 2 });
    // Merged remote state is not handed out again as a local delta.
    assert.equal(b.takeDelta(), undefined);
  });

  test('encodeState is encode', () => {
    const d = new Document(ids.a);
    d.set('x', [1, 'two', { three: 3 }]);
    assert.deepEqual([...d.encodeState()], [...d.encode()]);
  });

  test('values cross the boundary as plain values', () => {
    const d = new Document(ids.a);
    const value = {
      s: 'text ✓ 𝄞',
      i: -42,
      f: 1.5,
      big: 2n ** 60n,
      t: true,
      n: null,
      bytes: new Uint8Array([0, 255]),
      list: [1, [2, [3]]],
      obj: { a: { b: {} } },
    };
    d.set('v', value);
    const back = d.get('v');
    assert.equal(back.s, value.s);
    assert.equal(back.i, -42);
    assert.equal(back.f, 1.5);
    assert.equal(back.big, 2n ** 60n);
    assert.equal(back.t, true);
    assert.equal(back.n, null);
    assert.ok(back.bytes instanceof Uint8Array);
    assert.deepEqual([...back.bytes], [0, 255]);
    assert.deepEqual(back.list, [1, [2, [3]]]);
    assert.deepEqual(back.obj, { a: { b: {} } });
    // undefined does not round-trip (it would read back as null): refused (issue 15).
    assertCoded(() => d.set('u', undefined), 'ERR_INVALID_ARGUMENT');
    assert.equal(d.get('u'), undefined);
  });
});
