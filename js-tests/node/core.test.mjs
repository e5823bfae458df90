// The converge-crdt/core entry: the Document alone (wasm/src/core_document.rs), with
// no sync, merge report, policies, events or change(). Its writes and reads, its
// deltas, its interop with the full entry's Document (same bytes both ways), its
// errors, and a fast-check property: random writes on 2 or 3 core replicas, deltas
// delivered in any order with duplicates, all end byte-equal.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { assertCoded, assertSameBytes, converge, hex, ids, prng } from './helpers.mjs';

const coreDir = new URL('../../wasm/npm/dist/core/node/', import.meta.url);
const coreEntry = fileURLToPath(new URL('index.mjs', coreDir));
if (!existsSync(coreEntry)) throw new Error(`${coreEntry} is missing: build the package first`);
const { Document, compareVersions, randomReplicaId } = await import(coreEntry);
const Full = converge.Document;

describe('the core entry', () => {
  test('require() of converge_wasm.cjs gives the same Document class as the ESM import', () => {
    const cjs = fileURLToPath(new URL('converge_wasm.cjs', coreDir));
    const required = createRequire(import.meta.url)(cjs);
    assert.equal(typeof Document, 'function');
    assert.equal(required.Document, Document);
    assert.equal(required.compareVersions, compareVersions);
    assert.notEqual(Document, Full, 'the core class is its own class, not the full one');
  });

  test('the class has none of the full Document extras', () => {
    for (const name of ['change', 'receive', 'messageFor', 'subscribe', 'setPolicy', 'read', 'conflicts']) {
      assert.ok(!(name in Document.prototype), `${name} is on the core Document`);
      assert.ok(name in Full.prototype, `${name} is on the full Document (the check means something)`);
    }
    for (const name of ['set', 'setMulti', 'increment', 'decrement', 'addToSet', 'removeFromSet',
      'enable', 'disable', 'remove', 'get', 'toJSON', 'encode', 'takeDelta', 'merge', 'version']) {
      assert.equal(typeof Document.prototype[name], 'function', name);
    }
    assert.equal(typeof Document.decode, 'function');
  });

  test('replica ids: given, random, and invalid', () => {
    assert.equal(new Document(ids.a).replicaId, ids.a);
    const r = randomReplicaId();
    assert.match(r, /^[0-9a-f]{1,16}$/);
    assert.equal(new Document(r).replicaId, r);
    const [x, y] = [new Document().replicaId, new Document().replicaId];
    assert.match(x, /^[0-9a-f]{1,16}$/);
    assert.notEqual(x, y);
    assertCoded(() => new Document('not hex!'), 'ERR_INVALID_REPLICA_ID');
    assertCoded(() => new Document(''), 'ERR_INVALID_REPLICA_ID');
    assertCoded(() => new Document('0123456789abcdef0'), 'ERR_INVALID_REPLICA_ID');
    assertCoded(() => new Document(5), 'ERR_INVALID_ARGUMENT');
    assertCoded(() => Document.decode(new Document(ids.a).encode(), 'zz'), 'ERR_INVALID_REPLICA_ID');
    assert.equal(Document.decode(new Document(ids.a).encode(), ids.b).replicaId, ids.b);
  });
});

describe('writes read back', () => {
  test('every write kind, by get() and toJSON(), as the full entry reads them', () => {
    const writes = (d) => {
      d.set('title', 'hello');
      d.set('obj', { a: [1, 'two', null], b: true });
      d.setMulti('mv', 42);
      d.increment('up'), d.increment('up', 4), d.decrement('down', 3), d.increment('down', 1);
      d.addToSet('tags', 'a'), d.addToSet('tags', 'b'), d.addToSet('tags', 'a');
      d.removeFromSet('tags', 'b');
      d.enable('on'), d.enable('off'), d.disable('off');
      d.set(['user', 'profile', 'name'], 'Ada');
      d.increment(['user', 'visits'], 7);
      d.set('a.b', 'dotted'), d.set(['a', 'b'], 'nested');
      d.set('gone', 1), d.remove('gone');
      d.set(['user', 'tmp'], 0), d.remove(['user', 'tmp']);
    };
    const d = new Document(ids.a);
    assert.deepEqual(d.toJSON(), {});
    assert.equal(d.get('missing'), undefined);
    writes(d);
    assert.equal(d.get('title'), 'hello');
    assert.deepEqual(d.get('obj'), { a: [1, 'two', null], b: true });
    assert.equal(d.get('mv'), 42);
    assert.equal(d.get('up'), 5);
    assert.equal(typeof d.get('up'), 'number');
    assert.equal(d.get('down'), -2);
    assert.deepEqual(d.get('tags'), ['a']);
    assert.equal(d.get('on'), true);
    // A disabled flag has no enables left: it reads as absent, as in the full entry.
    assert.equal(d.get('off'), undefined);
    assert.equal(d.get(['user', 'profile', 'name']), 'Ada');
    assert.deepEqual(d.get(['user', 'profile']), { name: 'Ada' });
    assert.equal(d.get(['user', 'visits']), 7);
    assert.equal(d.get('a.b'), 'dotted', 'a string path is one key, not split on dots');
    assert.equal(d.get(['a', 'b']), 'nested');
    assert.equal(d.get('gone'), undefined);
    assert.equal(d.get(['user', 'tmp']), undefined);
    const expected = {
      title: 'hello', obj: { a: [1, 'two', null], b: true }, mv: 42, up: 5, down: -2,
      tags: ['a'], on: true, user: { profile: { name: 'Ada' }, visits: 7 },
      'a.b': 'dotted', a: { b: 'nested' },
    };
    assert.deepEqual(d.toJSON(), expected);
    const f = new Full(ids.a);
    writes(f);
    assert.deepEqual(f.toJSON(), expected);
    d.enable('off');
    assert.equal(d.get('off'), true);
  });

  test('a later set replaces; a removed key can be written again', () => {
    const d = new Document(ids.a);
    d.set('k', 1), d.set('k', 'two');
    assert.equal(d.get('k'), 'two');
    d.remove('k');
    assert.deepEqual(d.toJSON(), {});
    d.increment('k', 3);
    assert.equal(d.get('k'), 3);
  });
});

describe('takeDelta', () => {
  test('undefined with nothing written; the delta rebuilds the writer; then undefined again', () => {
    const d = new Document(ids.a);
    assert.equal(d.takeDelta(), undefined);
    d.set(['m', 'x'], 'v'), d.increment('n', 2), d.addToSet('s', 1);
    d.enable('f'), d.setMulti('mv', 'one'), d.set('gone', 0), d.remove('gone');
    const delta = d.takeDelta();
    assert.ok(delta instanceof Uint8Array && delta.length > 0);
    assert.equal(d.takeDelta(), undefined);
    const fresh = new Document(ids.b);
    assert.equal(fresh.merge(delta), undefined);
    assertSameBytes(fresh.encode(), d.encode());
    assert.deepEqual(fresh.toJSON(), d.toJSON());
    // A merge is not a local write: it leaves nothing to take.
    assert.equal(fresh.takeDelta(), undefined);
  });

  test('a second delta holds only the writes since the first', () => {
    const d = new Document(ids.a);
    d.set('x', 1);
    const first = d.takeDelta();
    d.increment('y', 5);
    const e = new Document(ids.b);
    e.merge(d.takeDelta());
    assert.deepEqual(e.toJSON(), { y: 5 });
    e.merge(first);
    assertSameBytes(e.encode(), d.encode());
  });

  test('a failed write leaves nothing pending', () => {
    const d = new Document(ids.a);
    assertCoded(() => d.increment('c', -1), 'ERR_INVALID_ARGUMENT');
    assert.equal(d.takeDelta(), undefined);
  });
});

describe('interop with the full entry', () => {
  test('deltas exchanged both ways give equal bytes and equal JSON', () => {
    const [c, f] = [new Document(ids.a), new Full(ids.b)];
    c.set('k', 'core'), c.increment('n', 2), c.addToSet('s', 1), c.set(['deep', 'c'], true);
    f.set('k2', 'full'), f.increment('n', 3), f.addToSet('s', 2), f.enable(['deep', 'flag']);
    f.setMulti('mv', 'f');
    const [dc, df] = [c.takeDelta(), f.takeDelta()];
    c.merge(df), f.merge(dc);
    assertSameBytes(c.encode(), f.encode());
    assert.deepEqual(c.toJSON(), f.toJSON());
    assert.deepEqual(c.toJSON(), {
      k: 'core', k2: 'full', n: 5, s: [1, 2], deep: { c: true, flag: true }, mv: 'f',
    });
    // A second round, with removes written on state the other side made.
    c.removeFromSet('s', 2), f.remove(['deep', 'c']);
    const [dc2, df2] = [c.takeDelta(), f.takeDelta()];
    c.merge(df2), f.merge(dc2);
    assertSameBytes(c.encode(), f.encode());
    assert.deepEqual(f.toJSON(), c.toJSON());
    assert.deepEqual(c.get('s'), [1]);
    assert.deepEqual(c.get('deep'), { flag: true });
  });

  test('decode in one entry of the other entry encode() gives the same bytes back', () => {
    const [c, f] = [new Document(ids.a), new Full(ids.b)];
    c.set(['a', 'b'], [1, 2]), c.decrement('n', 4);
    f.addToSet('s', 'x'), f.enable('on');
    const fromFull = Document.decode(f.encode(), ids.c);
    assertSameBytes(fromFull.encode(), f.encode());
    assert.deepEqual(fromFull.toJSON(), f.toJSON());
    const fromCore = Full.decode(c.encode(), ids.c);
    assertSameBytes(fromCore.encode(), c.encode());
    assert.deepEqual(fromCore.toJSON(), c.toJSON());
    // The core merge takes a full Document too (it calls encode()).
    c.merge(f), f.merge(c.encode());
    assertSameBytes(c.encode(), f.encode());
  });

  test('concurrent LWW writes to the same key converge to one value on both', () => {
    for (const [cid, fid] of [[ids.a, ids.b], [ids.b, ids.a]]) {
      const [c, f] = [new Document(cid), new Full(fid)];
      c.set('k', 'from core'), f.set('k', 'from full');
      const [dc, df] = [c.takeDelta(), f.takeDelta()];
      c.merge(df), f.merge(dc);
      assert.equal(c.get('k'), f.get('k'));
      assert.ok(['from core', 'from full'].includes(c.get('k')));
      assertSameBytes(c.encode(), f.encode());
      // A write that saw both wins on both.
      c.set('k', 'after');
      f.merge(c.takeDelta());
      assert.equal(f.get('k'), 'after');
      assertSameBytes(c.encode(), f.encode());
    }
  });
});

describe('merge and errors', () => {
  test('merge takes another core Document', () => {
    const [a, b] = [new Document(ids.a), new Document(ids.b)];
    a.set('x', 1), b.increment('y', 2);
    assert.equal(a.merge(b), undefined);
    assert.deepEqual(a.toJSON(), { x: 1, y: 2 });
    b.merge(a);
    assertSameBytes(a.encode(), b.encode());
    assertCoded(() => a.merge(a), 'ERR_INVALID_ARGUMENT');
    assertCoded(() => a.merge('bytes?'), 'ERR_INVALID_ARGUMENT');
  });

  test('garbage bytes throw ERR_DECODE and change nothing', () => {
    const d = new Document(ids.a);
    d.set('k', 'v');
    const before = d.encode();
    for (const bad of [new Uint8Array([1, 2, 3]), new Uint8Array(0), before.slice(0, -3)]) {
      assertCoded(() => d.merge(bad), 'ERR_DECODE');
      assertCoded(() => Document.decode(bad), 'ERR_DECODE');
    }
    assertSameBytes(d.encode(), before);
  });

  test('invalid paths and amounts throw ERR_INVALID_ARGUMENT and change nothing', () => {
    const d = new Document(ids.a);
    d.set('k', 'v'), d.increment('c', 2), d.takeDelta();
    const before = d.encode();
    const writes = [
      (p) => d.set(p, 1), (p) => d.setMulti(p, 1), (p) => d.increment(p), (p) => d.decrement(p),
      (p) => d.addToSet(p, 1), (p) => d.removeFromSet(p, 1), (p) => d.enable(p),
      (p) => d.disable(p), (p) => d.remove(p), (p) => d.get(p),
    ];
    for (const path of [[], 5, ['ok', 3], null]) {
      for (const write of writes) assertCoded(() => write(path), 'ERR_INVALID_ARGUMENT');
    }
    for (const n of [-1, 1.5, NaN, Infinity, '2']) {
      assertCoded(() => d.increment('c', n), 'ERR_INVALID_ARGUMENT');
      assertCoded(() => d.decrement('c', n), 'ERR_INVALID_ARGUMENT');
    }
    assertSameBytes(d.encode(), before);
    assert.equal(d.get('c'), 2);
    assert.equal(d.takeDelta(), undefined);
  });

  test('free() then a call throws ERR_USE_AFTER_FREE; free() twice does not throw', () => {
    const d = new Document(ids.a);
    d.set('k', 1), d.free();
    assertCoded(() => d.encode(), 'ERR_USE_AFTER_FREE');
    assertCoded(() => d.set('k', 2), 'ERR_USE_AFTER_FREE');
    assertCoded(() => d.replicaId, 'ERR_USE_AFTER_FREE');
    assert.doesNotThrow(() => d.free());
    const e = new Document(ids.b); // others still work
    e.set('k', 3);
    assert.equal(e.get('k'), 3);
  });
});

describe('version', () => {
  test('counts the writes of a replica; compareVersions orders before and after', () => {
    const d = new Document(ids.a);
    const empty = d.version();
    assert.equal(empty[ids.a] ?? 0, 0);
    const writes = [() => d.set('x', 1), () => d.increment('y'), () => d.addToSet('s', 'v'),
      () => d.enable('f'), () => d.setMulti('m', 2), () => d.decrement(['p', 'q'], 2)];
    let last = 0;
    for (const w of writes) {
      w();
      const now = d.version()[ids.a];
      assert.equal(typeof now, 'number');
      assert.ok(now > last, 'each write counts');
      last = now;
    }
    const after = d.version();
    assert.equal(after[ids.a], writes.length);
    assert.equal(compareVersions(empty, after), 'before');
    assert.equal(compareVersions(after, empty), 'after');
    assert.equal(compareVersions(after, d.version()), 'equal');
    // Another replica's version is concurrent until it merges.
    const e = new Document(ids.b);
    e.set('z', 0);
    assert.equal(compareVersions(after, e.version()), 'concurrent');
    e.merge(d.encode());
    assert.equal(compareVersions(after, e.version()), 'before');
    assert.deepEqual(Object.keys(e.version()).sort(), [ids.a, ids.b]);
  });
});

// ---- Property: random writes on 2 or 3 core replicas, deltas in any order. ----

const value = fc.constantFrom('a', 'b', 1, 2, true, null, [1, 'x']);
const amount = fc.integer({ min: 0, max: 5 });
// Flat paths (string keys) and nested ones (arrays), over a small key space.
const path = fc.oneof(
  fc.constantFrom('x', 'y', 'z'), fc.array(fc.constantFrom('x', 'y'), { minLength: 1, maxLength: 3 }),
);
const write = fc.oneof(
  fc.tuple(fc.constantFrom('set', 'setMulti', 'addToSet', 'removeFromSet'), path, value),
  fc.tuple(fc.constantFrom('increment', 'decrement'), path, amount),
  fc.tuple(fc.constantFrom('enable', 'disable', 'remove'), path),
);
const step = fc.oneof(
  { weight: 5, arbitrary: fc.record({ at: fc.nat(2), write }) },
  { weight: 2, arbitrary: fc.record({ take: fc.nat(2), dup: fc.nat(2) }) },
  { weight: 3, arbitrary: fc.record({ deliver: fc.nat() }) },
);
const history = fc.record({
  n: fc.constantFrom(2, 3), steps: fc.array(step, { maxLength: 40, size: 'max' }), seed: fc.integer(),
});

describe('property: core replicas converge', () => {
  test('deltas delivered in random order, with duplicates, give byte-equal replicas', () => {
    fc.assert(
      fc.property(history, ({ n, steps, seed }) => {
        const replicas = [ids.a, ids.b, ids.c].slice(0, n).map((id) => new Document(id));
        const fresh = new Document(ids.d);
        const queue = [];
        const take = (from, dup) => {
          const delta = replicas[from].takeDelta();
          if (delta === undefined) return;
          for (let to = 0; to < n; to++) {
            if (to === from) continue;
            queue.push({ to, delta });
            if (to === dup % n) queue.push({ to, delta: delta.slice() });
          }
        };
        try {
          for (const s of steps) {
            if ('write' in s) {
              const [method, ...args] = s.write;
              replicas[s.at % n][method](...args);
            } else if ('take' in s) {
              take(s.take % n, s.dup);
            } else if (queue.length > 0) {
              const { to, delta } = queue.splice(s.deliver % queue.length, 1)[0];
              replicas[to].merge(delta);
            }
          }
          for (let i = 0; i < n; i++) take(i, seed >>> 0);
          const random = prng(seed);
          while (queue.length > 0) {
            const { to, delta } = queue.splice(Math.floor(random() * queue.length), 1)[0];
            replicas[to].merge(delta);
          }
          const bytes = replicas.map((r) => hex(r.encode()));
          const json = replicas[0].toJSON();
          for (let i = 1; i < n; i++) {
            assert.equal(bytes[i], bytes[0], `replica ${i} differs from replica 0`);
            assert.deepEqual(replicas[i].toJSON(), json);
          }
          for (const r of replicas) fresh.merge(r.encode());
          assert.equal(hex(fresh.encode()), bytes[0], 'the join of every replica');
          assert.deepEqual(fresh.toJSON(), json);
        } finally {
          for (const r of [...replicas, fresh]) r.free();
        }
      }),
      { numRuns: 100, seed: 0x636f7265 },
    );
  });

  test("a lone writer's deltas, merged in order into an empty Document, rebuild it exactly", () => {
    const lone = fc.array(fc.oneof(
      { weight: 4, arbitrary: write.map((w) => ({ w })) },
      { weight: 1, arbitrary: fc.constant({ take: true }) },
    ), { maxLength: 40, size: 'max' });
    fc.assert(
      fc.property(lone, (steps) => {
        const [d, copy] = [new Document(ids.a), new Document(ids.b)];
        try {
          const deltas = [];
          const take = () => {
            const delta = d.takeDelta();
            if (delta !== undefined) deltas.push(delta);
          };
          for (const s of steps) s.take ? take() : d[s.w[0]](...s.w.slice(1));
          take();
          assert.equal(d.takeDelta(), undefined);
          for (const delta of deltas) copy.merge(delta);
          assert.equal(hex(copy.encode()), hex(d.encode()));
          assert.deepEqual(copy.toJSON(), d.toJSON());
        } finally {
          d.free(), copy.free();
        }
      }),
      { numRuns: 100, seed: 0x6c6f6e65 },
    );
  });
});
