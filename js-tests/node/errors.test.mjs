// Error paths: every error is an `Error` with a string `code`, no input traps the
// module, and after every error the module and the objects that existed still work.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertCoded, canaries, converge, ids, prng, replyOf, syncLossy } from './helpers.mjs';

const { GCounter, PNCounter, OrSet, LwwRegister, MvRegister, Document, compareVersions } =
  converge;
const CLASSES = { GCounter, PNCounter, OrSet, LwwRegister, MvRegister, Document };

/** Runs `fn`, expects a coded error, then checks the module still works. */
function expectCoded(fn, code) {
  const canary = canaries();
  const error = assertCoded(fn, code);
  canary.check();
  return error;
}

describe('wrong value types throw ERR_INVALID_ARGUMENT', () => {
  const bad = {
    function: () => 1,
    Map: new Map([['a', 1]]),
    Set: new Set([1]),
    Date: new Date(0),
    symbol: Symbol('s'),
    'class instance': new (class Point { x = 1; })(),
    'nested function': { ok: 1, nested: [{ f() {} }] },
    'bigint past 64 bits': 2n ** 64n,
    'cyclic object': (() => {
      const o = { name: 'loop' };
      o.self = o;
      return o;
    })(),
    'nesting past 128 levels': (() => {
      let v = 1;
      for (let i = 0; i < 200; i++) v = [v];
      return v;
    })(),
  };
  for (const [label, value] of Object.entries(bad)) {
    test(label, () => {
      const set = new OrSet(ids.a);
      set.add('kept');
      const lww = new LwwRegister(ids.a);
      lww.set('kept');
      const mv = new MvRegister(ids.a);
      const doc = new Document(ids.a);
      doc.set('kept', 1);
      for (const fn of [
        () => set.add(value),
        () => set.remove(value),
        () => set.has(value),
        () => lww.set(value),
        () => mv.set(value),
        () => doc.set('k', value),
        () => doc.setMulti('k', value),
        () => doc.addToSet('s', value),
        () => doc.removeFromSet('s', value),
      ]) {
        // Too deep (a cycle is endlessly deep) has its own code.
        const deep = label === 'cyclic object' || label.startsWith('nesting past');
        expectCoded(fn, deep ? 'ERR_TOO_DEEP' : 'ERR_INVALID_ARGUMENT');
      }
      // Nothing was half-written.
      assert.deepEqual(set.values(), ['kept']);
      assert.equal(lww.value, 'kept');
      assert.deepEqual(mv.values(), []);
      assert.deepEqual(doc.toJSON(), { kept: 1 });
      assert.equal(doc.takeDelta() !== undefined, true);
      assert.equal(doc.takeDelta(), undefined, 'failed writes leave no delta');
    });
  }
});

describe('bad paths throw ERR_INVALID_ARGUMENT', () => {
  const badPaths = {
    number: 5,
    null: null,
    undefined,
    object: { a: 1 },
    'empty array': [],
    'array with a number': ['a', 5],
    'array with null': ['a', null],
    'array with a symbol': [Symbol('k')],
    function: () => 'a',
  };
  for (const [label, path] of Object.entries(badPaths)) {
    test(label, () => {
      const doc = new Document(ids.a);
      for (const fn of [
        () => doc.set(path, 1),
        () => doc.setMulti(path, 1),
        () => doc.increment(path),
        () => doc.decrement(path),
        () => doc.addToSet(path, 1),
        () => doc.removeFromSet(path, 1),
        () => doc.enable(path),
        () => doc.disable(path),
        () => doc.remove(path),
        () => doc.get(path),
        () => doc.read(path),
        () => doc.setPolicy(path, { type: 'siblings' }),
      ]) {
        expectCoded(fn, 'ERR_INVALID_ARGUMENT');
      }
      assert.deepEqual(doc.toJSON(), {});
    });
  }
});

describe('bad amounts throw ERR_INVALID_ARGUMENT', () => {
  const amounts = { NaN: Number.NaN, negative: -1, fraction: 1.5, Infinity: Infinity, 'past 2^53': 2 ** 53, object: {} };
  for (const [label, n] of Object.entries(amounts)) {
    test(label, () => {
      const g = new GCounter(ids.a);
      const p = new PNCounter(ids.a);
      const d = new Document(ids.a);
      g.increment(2);
      p.decrement(2);
      d.increment('n', 2);
      for (const fn of [
        () => g.increment(n),
        () => p.increment(n),
        () => p.decrement(n),
        () => d.increment('n', n),
        () => d.decrement('n', n),
      ]) {
        expectCoded(fn, 'ERR_INVALID_ARGUMENT');
      }
      assert.equal(g.value, 2);
      assert.equal(p.value, -2);
      assert.equal(d.get('n'), 2);
    });
  }

  test('a numeric string is not an amount', {}, () => {
    const g = new GCounter(ids.a);
    expectCoded(() => g.increment('3'), 'ERR_INVALID_ARGUMENT');
    assert.equal(g.value, 0);
  });
});

describe('counters that would overflow throw ERR_OVERFLOW and stay unchanged', () => {
  test('GCounter and PNCounter', () => {
    const g = new GCounter(ids.a);
    const p = new PNCounter(ids.a);
    const big = Number.MAX_SAFE_INTEGER;
    const steps = 2048; // 2048 * (2^53 - 1) < 2^64 - 1 < 2049 * (2^53 - 1)
    for (let i = 0; i < steps; i++) {
      g.increment(big);
      p.decrement(big);
    }
    const gBefore = g.value;
    const pBefore = p.value;
    assert.equal(gBefore, BigInt(big) * BigInt(steps));
    expectCoded(() => g.increment(big), 'ERR_OVERFLOW');
    expectCoded(() => p.decrement(big), 'ERR_OVERFLOW');
    assert.equal(g.value, gBefore);
    assert.equal(p.value, pBefore);
    g.increment(1);
    p.increment(1);
    assert.equal(g.value, gBefore + 1n);
  });

  // Regression (issue 14, item 8): these read as an imprecise float
  // (18915118434956080000) until counters were read through the exact builder.
  test('Document counters past i64 read exactly (as bigint, like GCounter)', () => {
    const d = new Document(ids.a);
    for (let i = 0; i < 2100; i++) d.increment(['c', 'n'], Number.MAX_SAFE_INTEGER);
    const exact = 2100n * BigInt(Number.MAX_SAFE_INTEGER);
    assert.equal(d.get(['c', 'n']), exact);
    assert.deepEqual(d.toJSON(), { c: { n: exact } });
    for (let i = 0; i < 4200; i++) d.decrement(['c', 'n'], Number.MAX_SAFE_INTEGER);
    assert.equal(d.get(['c', 'n']), -exact);
    d.increment(['c', 'n'], Number.MAX_SAFE_INTEGER);
    d.increment(['c', 'm'], 5);
    assert.equal(d.get(['c', 'n']), -exact + BigInt(Number.MAX_SAFE_INTEGER));
    assert.equal(d.get(['c', 'm']), 5, 'a safe count stays a number');
  });
});

describe('malformed bytes', () => {
  for (const [name, Class] of Object.entries(CLASSES)) {
    test(`${name}: garbage, empty, truncated, trailing bytes, newer format version`, () => {
      const r = new Class(ids.a);
      const peer = new Class(ids.b);
      const message = peer.messageFor(ids.a);
      const token = (() => {
        const p = new Class(ids.c);
        p.receive(new Class(ids.b).messageFor(ids.c));
        return p.syncToken(ids.b);
      })();
      // Each entry point, with valid bytes of its own kind to spoil.
      const entries = {
        decode: [r.encode(), (b) => Class.decode(b)],
        merge: [r.encode(), (b) => r.merge(b)],
        receive: [message, (b) => r.receive(b)],
        restore: [r.save(), (b) => Class.restore(b)],
        resume: [token, (b) => r.resume(b)],
      };
      let rejected = 0;
      for (const [entry, [valid, call]] of Object.entries(entries)) {
        assert.ok(valid instanceof Uint8Array, entry);
        const cases = [
          ['garbage', new Uint8Array([1, 2, 3, 4]), 'ERR_DECODE'],
          ['empty', new Uint8Array([]), 'ERR_DECODE'],
          ['truncated', valid.slice(0, valid.length - 1), 'ERR_DECODE'],
          ['trailing byte', new Uint8Array([...valid, 0]), 'ERR_DECODE'],
          ['format version 255', new Uint8Array([valid[0], valid[1], 0xff, ...valid.slice(3)]), 'ERR_UNSUPPORTED_VERSION'],
        ];
        for (const [label, bytes, code] of cases) {
          const e = expectCoded(() => call(bytes), code);
          assert.ok(e.message.length > 10, `${entry}/${label}: ${e.message}`);
          if (entry === 'receive') rejected++;
        }
      }
      assert.equal(r.metrics().rejected, rejected, 'rejected messages are counted');
      // And the replica still takes good input.
      r.merge(peer.encode());
      assert.equal(replyOf(r.receive(message)) instanceof Uint8Array, true);
    });
  }

  test('deeply nested input: ERR_TOO_DEEP, no stack overflow', () => {
    let v = 1;
    for (let i = 0; i < 30; i++) v = [v];
    const s = new OrSet(ids.a);
    s.add(v);
    // Writing a value nested past the limit is refused up front, coded alike.
    let tooDeep = 1;
    for (let i = 0; i < 100; i++) tooDeep = [tooDeep];
    expectCoded(() => s.add(tooDeep), 'ERR_TOO_DEEP');
    const bytes = s.encode();
    const hex = Buffer.from(bytes).toString('hex');
    const at = hex.indexOf('91'.repeat(30)) / 2; // the run of one-element arrays
    assert.ok(at > 0);
    const deep = new Uint8Array([...bytes.slice(0, at), ...new Array(100_000).fill(0x91), ...bytes.slice(at)]);
    expectCoded(() => OrSet.decode(deep), 'ERR_TOO_DEEP');
    expectCoded(() => s.merge(deep), 'ERR_TOO_DEEP');
  });

  test('a length prefix claiming 2^31 elements is refused without allocating it', () => {
    const tag = new OrSet().encode().slice(0, 3);
    const bytes = new Uint8Array([...tag, 0xdd, 0x7f, 0xff, 0xff, 0xff]);
    expectCoded(() => OrSet.decode(bytes), 'ERR_DECODE');
  });

  test('fuzz: mutated, truncated and random bytes never trap (6 classes x 5 entry points)', () => {
    const random = prng(99);
    const codes = new Map();
    let accepted = 0;
    for (const [name, Class] of Object.entries(CLASSES)) {
      const x = new Class(ids.a);
      const y = new Class(ids.b);
      for (let i = 0; i < 4; i++) {
        if (name === 'GCounter' || name === 'PNCounter') x.increment(i);
        else if (name === 'OrSet') x.add({ i, s: 'x'.repeat(i) });
        else if (name === 'Document') {
          x.set(['a', `b${i}`], [i, 'y']);
          x.addToSet('s', i);
          x.increment('n');
        } else x.set({ i });
      }
      const message = x.messageFor(ids.b);
      const samples = [x.encode(), x.save(), message, x.takeDelta(), replyOf(y.receive(message)), y.hello(ids.a)];
      samples.push(y.syncToken(ids.a));
      for (let i = 0; i < 400; i++) {
        const base = samples[Math.floor(random() * samples.length)].slice();
        const mode = random();
        let bytes;
        if (mode < 0.4) {
          for (let k = 0; k < 1 + random() * 3; k++) base[Math.floor(random() * base.length)] = Math.floor(random() * 256);
          bytes = base;
        } else if (mode < 0.6) bytes = base.slice(0, Math.floor(random() * base.length));
        else if (mode < 0.8) {
          bytes = new Uint8Array(base.length + 5);
          bytes.set(base);
          bytes.set([0xdd, 0x7f, 0xff, 0xff, 0xff], Math.floor(random() * base.length));
        } else bytes = new Uint8Array(Math.floor(random() * 40)).map(() => Math.floor(random() * 256));
        const target = new Class(ids.c);
        for (const op of [
          () => Class.decode(bytes).free(),
          () => Class.restore(bytes).free(),
          () => target.merge(bytes),
          () => target.receive(bytes),
          () => target.resume(bytes),
        ]) {
          try {
            op();
            accepted++;
          } catch (e) {
            assert.ok(e instanceof Error, `${name}: threw a non-Error`);
            assert.equal(typeof e.code, 'string', `${name}: ${e.constructor.name} without code: ${e.message}`);
            codes.set(e.code, (codes.get(e.code) ?? 0) + 1);
          }
        }
        target.free();
      }
    }
    assert.ok(codes.get('ERR_DECODE') > 0 && codes.get('ERR_WRONG_TYPE') > 0);
    for (const code of codes.keys()) assert.match(code, /^ERR_[A-Z_]+$/);
    assert.ok(accepted > 0, 'some mutations are still valid input, and are accepted');
    canaries().check();
  });
});

describe('wrong types of encoding throw ERR_WRONG_TYPE', () => {
  test('a GCounter encoding decoded as an OrSet', () => {
    const g = new GCounter(ids.a);
    g.increment(3);
    const e = expectCoded(() => OrSet.decode(g.encode()), 'ERR_WRONG_TYPE');
    assert.match(e.message, /GCounter/);
  });

  test('every pair of classes, through decode and merge', () => {
    for (const [from, A] of Object.entries(CLASSES)) {
      for (const [to, B] of Object.entries(CLASSES)) {
        if (from === to) continue;
        const bytes = new A(ids.a).encode();
        expectCoded(() => B.decode(bytes), 'ERR_WRONG_TYPE');
        expectCoded(() => new B(ids.b).merge(bytes), 'ERR_WRONG_TYPE');
        expectCoded(() => new B(ids.b).merge(new A(ids.a)), 'ERR_WRONG_TYPE');
      }
    }
  });

  test('state, save, sync message and token are not interchangeable', () => {
    const a = new Document(ids.a);
    const b = new Document(ids.b);
    a.set('k', 1);
    const state = a.encode();
    const saved = a.save();
    const message = a.messageFor(ids.b);
    expectCoded(() => Document.decode(saved), 'ERR_WRONG_TYPE');
    expectCoded(() => Document.decode(message), 'ERR_WRONG_TYPE');
    expectCoded(() => Document.restore(state), 'ERR_WRONG_TYPE');
    expectCoded(() => b.receive(state), 'ERR_WRONG_TYPE');
    expectCoded(() => b.resume(state), 'ERR_WRONG_TYPE');
    expectCoded(() => b.merge(saved), 'ERR_WRONG_TYPE');
  });

  test('a sync message of another type of replica is rejected', () => {
    const g = new GCounter(ids.a);
    g.increment();
    const d = new Document(ids.b);
    expectCoded(() => d.receive(g.messageFor(ids.b)), 'ERR_DECODE');
    assert.deepEqual(d.toJSON(), {});
  });
});

describe('replica ids, versions, policies, sync', () => {
  test('bad replica id strings: ERR_INVALID_REPLICA_ID', () => {
    const doc = new Document(ids.a);
    for (const bad of ['xyz', '', '00000000000000001', '0x12', ' 1', 'g']) {
      expectCoded(() => new Document(bad), 'ERR_INVALID_REPLICA_ID');
      expectCoded(() => GCounter.decode(new GCounter().encode(), bad), 'ERR_INVALID_REPLICA_ID');
      expectCoded(() => doc.messageFor(bad), 'ERR_INVALID_REPLICA_ID');
      expectCoded(() => doc.hello(bad), 'ERR_INVALID_REPLICA_ID');
      expectCoded(() => doc.syncToken(bad), 'ERR_INVALID_REPLICA_ID');
      expectCoded(() => doc.setPolicy(['k'], { type: 'authority', replicas: [bad] }), 'ERR_INVALID_REPLICA_ID');
      expectCoded(() => compareVersions({ [bad]: 1 }, {}), 'ERR_INVALID_REPLICA_ID');
    }
  });

  test('bad versions: ERR_INVALID_ARGUMENT', () => {
    for (const [a, b] of [
      [null, {}],
      [{}, undefined],
      ['a1:1', {}],
      [{ [ids.a]: -1 }, {}],
      [{ [ids.a]: 1.5 }, {}],
      [{ [ids.a]: '1' }, {}],
      [{ [ids.a]: 2 ** 53 }, {}],
      [{ [ids.a]: -1n }, {}],
      [{ [ids.a]: 2n ** 64n }, {}],
    ]) {
      expectCoded(() => compareVersions(a, b), 'ERR_INVALID_ARGUMENT');
    }
  });

  test('bad policies: ERR_INVALID_ARGUMENT', () => {
    const doc = new Document(ids.a);
    for (const policy of [
      {},
      { type: 'nope' },
      { type: 5 },
      { type: 'lww', skewToleranceMs: -1 },
      { type: 'lww', skewToleranceMs: Infinity },
      { type: 'resolver', name: 'r' },
      { type: 'resolver', resolve: 'not a function' },
      { type: 'authority' },
      { type: 'authority', replicas: ids.a },
      { type: 'authority', replicas: [1] },
    ]) {
      expectCoded(() => doc.setPolicy(['k'], policy), 'ERR_INVALID_ARGUMENT');
    }
  });

  test('a message from oneself, or a token naming oneself: ERR_SYNC_REJECTED', () => {
    const a = new Document(ids.a);
    const b = new Document(ids.b);
    a.set('k', 1);
    expectCoded(() => a.receive(a.messageFor(ids.b)), 'ERR_SYNC_REJECTED');
    b.receive(a.messageFor(ids.b));
    const token = b.syncToken(ids.a);
    expectCoded(() => a.resume(token), 'ERR_SYNC_REJECTED');
    assert.equal(a.metrics().rejected, 1);
  });

  test('merge takes bytes or an object of the class: ERR_INVALID_ARGUMENT otherwise', () => {
    const doc = new Document(ids.a);
    for (const other of [null, undefined, 'bytes', 42, {}, [1, 2], { encode: () => 'not bytes' }]) {
      expectCoded(() => doc.merge(other), 'ERR_INVALID_ARGUMENT');
    }
  });
});

describe('use after free', () => {
  for (const [name, Class] of Object.entries(CLASSES)) {
    test(name, (t) => {
      const canary = canaries();
      const r = new Class(ids.a);
      const bytes = r.encode();
      r.free();
      const calls = [() => r.encode(), () => r.version(), () => r.takeDelta(), () => r.merge(bytes), () => r.replicaId];
      // free() itself is idempotent (issue 15): a second call does nothing.
      r.free();
      const codes = new Set();
      for (const call of calls) {
        let thrown;
        try {
          call();
        } catch (e) {
          thrown = e;
        }
        assert.ok(thrown instanceof Error, 'use after free throws an Error');
        codes.add(typeof thrown.code === 'string' ? thrown.code : `no code (${thrown.message})`);
      }
      t.diagnostic(`${name} after free(): ${[...codes].join(', ')}`);
      assert.deepEqual([...codes], ['ERR_USE_AFTER_FREE']);
      canary.check();
      // A freed object's bytes are still good elsewhere.
      const copy = Class.decode(bytes);
      assert.deepEqual(copy.version(), {});
    });
  }
});

describe('known gaps in the error contract', () => {
  test('a non-string replica id or peer id throws a coded error', {}, () => {
    const doc = new Document(ids.a);
    for (const fn of [
      () => new GCounter(5),
      () => new Document({}),
      () => GCounter.decode(new GCounter().encode(), 7),
      () => doc.messageFor(42),
      () => doc.messageFor(undefined),
      () => doc.hello({}),
      () => doc.syncToken(null),
    ]) {
      expectCoded(fn, 'ERR_INVALID_ARGUMENT');
    }
  });

  test('null or missing bytes throw a coded error', {}, () => {
    const doc = new Document(ids.a);
    for (const fn of [() => Document.decode(null), () => doc.receive(undefined), () => doc.resume(null), () => Document.restore()]) {
      expectCoded(fn, 'ERR_INVALID_ARGUMENT');
    }
  });

  test('setPolicy with a missing policy throws a coded error', {}, () => {
    const doc = new Document(ids.a);
    expectCoded(() => doc.setPolicy(['k'], null), 'ERR_INVALID_ARGUMENT');
    expectCoded(() => doc.setPolicy(['k']), 'ERR_INVALID_ARGUMENT');
  });

  test('merging an object into itself is a no-op (or a coded error)', {}, () => {
    const a = new Document(ids.a);
    a.set('k', 1);
    let thrown;
    try {
      assert.equal(a.merge(a).concurrentWrites, 0);
    } catch (e) {
      thrown = e;
    }
    if (thrown) assertCoded(() => { throw thrown; });
    assert.deepEqual(a.toJSON(), { k: 1 });
  });

  test('a write that is accepted can be decoded by every replica', {}, () => {
    const nest = (n) => {
      let v = 1;
      for (let i = 0; i < n; i++) v = [v];
      return v;
    };
    const path = (n) => Array.from({ length: n }, (_, i) => `k${i}`);
    const writes = [
      [OrSet, (r) => r.add(nest(127))],
      [LwwRegister, (r) => r.set(nest(126))],
      [MvRegister, (r) => r.set(nest(126))],
      [Document, (r) => r.set('k', nest(125))],
      [Document, (r) => r.set(path(63), 1)],
      [Document, (r) => r.set(path(32), nest(32))],
      [Document, (r) => r.addToSet(path(32), nest(32))],
      [Document, (r) => r.increment(path(80))],
    ];
    const failures = [];
    for (const [Class, write] of writes) {
      const r = new Class(ids.a);
      try {
        write(r);
      } catch (e) {
        assertCoded(() => { throw e; });
        continue; // refusing the write with a coded error keeps the promise too
      }
      const peer = new Class(ids.b);
      try {
        peer.merge(r.takeDelta());
        Class.decode(r.encode());
        peer.receive(r.messageFor(ids.b));
      } catch (e) {
        failures.push(`${Class.name}: ${e.code} ${e.message}`);
      }
    }
    assert.deepEqual(failures, []);
  });

  // Regression (issue 14, item 1): the limits are the document's own (converge-ormap
  // refuses the write), so every entry point refuses alike and changes nothing.
  test('a document refuses a path past 32 keys and a value past 32 levels', () => {
    const nest = (n) => {
      let v = 1;
      for (let i = 0; i < n; i++) v = [v];
      return v;
    };
    const path = (n) => Array.from({ length: n }, (_, i) => `k${i}`);
    const d = new Document(ids.a);
    d.set(path(32), nest(32));
    d.addToSet(path(32).slice(0, 31).concat('s'), nest(32));
    const before = d.encode();
    assert.equal(d.takeDelta() !== undefined, true);
    for (const fn of [
      () => d.set(path(33), 1),
      () => d.increment(path(33)),
      () => d.enable(path(40)),
      () => d.remove(path(33)),
    ]) {
      expectCoded(fn, 'ERR_INVALID_ARGUMENT');
    }
    for (const fn of [
      () => d.set('k', nest(33)),
      () => d.setMulti('k', nest(33)),
      () => d.addToSet('s', nest(33)),
    ]) {
      expectCoded(fn, 'ERR_TOO_DEEP');
    }
    assert.deepEqual([...d.encode()], [...before]);
    assert.equal(d.takeDelta(), undefined, 'refused writes leave no delta');
    const copy = Document.decode(before);
    assert.deepEqual(copy.get(path(32)), nest(32));
  });

  test('one over-deep write does not stop later writes from syncing', {}, () => {
    const a = new Document(ids.a);
    const b = new Document(ids.b);
    a.set('before', 1);
    syncLossy([a, b], { drop: 0, duplicate: 0 });
    try {
      a.set(Array.from({ length: 63 }, (_, i) => `k${i}`), 1);
    } catch (e) {
      assertCoded(() => { throw e; });
    }
    a.set('after', 2);
    for (let i = 0; i < 5; i++) {
      const message = a.messageFor(ids.b);
      if (message === undefined) break;
      try {
        const reply = replyOf(b.receive(message));
        if (reply) a.receive(reply);
      } catch {
        // counted below
      }
    }
    assert.equal(b.get('after'), 2);
  });

  test('keys named __proto__ survive toJSON/get/values', {}, () => {
    const doc = new Document(ids.a);
    doc.set('__proto__', { x: 1 });
    doc.set('v', JSON.parse('{"__proto__": {"x": 1}, "y": 2}'));
    const json = doc.toJSON();
    assert.ok(Object.hasOwn(json, '__proto__'));
    assert.deepEqual(Object.keys(doc.get('v')).sort(), ['__proto__', 'y']);
    assert.equal(Object.getPrototypeOf(doc.get('v')), Object.prototype);
  });
});
