// Document.change(fn) (issue 16): many writes recorded in JavaScript and applied by one
// call into the wasm, as one change: the same document as the writes one at a time,
// one delta, one change event; all or nothing when fn throws or a write is refused;
// reads through the recorder see the writes recorded before them.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertCoded, converge, ids, prng } from './helpers.mjs';

const { Document } = converge;

/** Lets queued microtasks (the event delivery) run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

function listen(doc) {
  const events = [];
  doc.subscribe((event) => events.push(event));
  return events;
}

/** The state a fresh replica reaches from `doc`'s pending delta. */
function fromDelta(doc) {
  const other = new Document(ids.c);
  const delta = doc.takeDelta();
  if (delta !== undefined) other.merge(delta);
  return other.toJSON();
}

// Keys that pack plainly, and keys of the packing's own marks (lengths, ':' and ';').
const KEYS = ['a', 'b', 'c', '', '1:;', ';'];

/** A random write as [method, path, arg]: every kind, short paths that meet. */
function randomWrite(next) {
  const pick = (items) => items[Math.floor(next() * items.length)];
  // Array paths, and string keys (the recorder sends a string path once per change).
  const path = next() < 0.3 ? pick(KEYS) : Array.from({ length: 1 + Math.floor(next() * 3) }, () => pick(KEYS));
  // Numbers of every form (the recorder sends number values apart, in one array).
  const value = pick([1, 2, 1.5, -0, 2 ** 60, -(2 ** 53), NaN, 'x', null, true, [1, 2], { o: 1 }]);
  return pick([
    ['set', path, value],
    ['setMulti', path, value],
    ['increment', path, 1 + Math.floor(next() * 3)],
    ['decrement', path, 1],
    ['addToSet', path, value],
    ['removeFromSet', path, value],
    ['enable', path],
    ['disable', path],
    ['remove', path],
  ]);
}

describe('Document.change', () => {
  test('applies every recorded write, as the same writes one at a time do', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const next = prng(seed);
      const writes = Array.from({ length: Math.floor(next() * 30) }, () => randomWrite(next));
      const batched = new Document(ids.a);
      const single = new Document(ids.a);
      batched.change((d) => {
        for (const [method, ...args] of writes) d[method](...args);
      });
      for (const [method, ...args] of writes) single[method](...args);
      assert.deepEqual(batched.toJSON(), single.toJSON(), `seed ${seed}`);
      assert.deepEqual(fromDelta(batched), batched.toJSON(), `seed ${seed}: the delta carries the change`);
    }
  });

  test('more writes than the recorder first has room for (its arrays grow), reads between: as the writes one at a time', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const next = prng(seed);
      const writes = Array.from({ length: 60 + Math.floor(next() * 400) }, () => randomWrite(next));
      // A read through the recorder applies the writes so far and starts it afresh.
      const readAt = Math.floor(next() * writes.length);
      const batched = new Document(ids.a);
      const single = new Document(ids.a);
      batched.change((d) => {
        writes.forEach(([method, ...args], i) => {
          if (i === readAt) d.toJSON();
          d[method](...args);
        });
      });
      for (const [method, ...args] of writes) single[method](...args);
      assert.deepEqual(batched.toJSON(), single.toJSON(), `seed ${seed}`);
      assert.deepEqual(fromDelta(batched), batched.toJSON(), `seed ${seed}: the delta carries the change`);
    }
  });

  test('a large change (its delta kept as a value until taken) and the writes after it, in one delta', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const next = prng(seed);
      const writes = Array.from({ length: 65 + Math.floor(next() * 300) }, () => randomWrite(next));
      const after = Array.from({ length: Math.floor(next() * 5) }, () => randomWrite(next));
      const batched = new Document(ids.a);
      batched.change((d) => {
        for (const [method, ...args] of writes) d[method](...args);
      });
      for (const [method, ...args] of after) batched[method](...args);
      if (next() < 0.5) {
        batched.change((d) => {
          for (const [method, ...args] of writes.slice(0, 70)) d[method](...args);
        });
      }
      assert.deepEqual(fromDelta(batched), batched.toJSON(), `seed ${seed}: the delta carries every write`);
      assert.equal(batched.takeDelta(), undefined, `seed ${seed}: taken once`);
    }
  });

  test('one delta and one change event listing each path written once', async () => {
    const doc = new Document(ids.a);
    const events = listen(doc);
    doc.change((d) => {
      d.set(['todo', 't1', 'title'], 'milk');
      d.increment('count');
      d.set(['todo', 't1', 'title'], 'oat milk');
      d.addToSet('tags', 'shopping');
      d.increment('count', 2);
    });
    assert.equal(events.length, 0, 'delivered in a microtask');
    await settle();
    assert.deepEqual(events, [
      { paths: [['todo', 't1', 'title'], ['count'], ['tags']], local: true },
    ]);
    const other = new Document(ids.b);
    other.merge(doc.takeDelta());
    assert.equal(doc.takeDelta(), undefined, 'one delta, taken once');
    assert.deepEqual(other.toJSON(), { todo: { t1: { title: 'oat milk' } }, count: 3, tags: ['shopping'] });
  });

  test('returns what fn returns; an empty change changes nothing and fires nothing', async () => {
    const doc = new Document(ids.a);
    const events = listen(doc);
    assert.equal(doc.change(() => 42), 42);
    await settle();
    assert.deepEqual(events, []);
    assert.equal(doc.takeDelta(), undefined);
  });

  test('all or nothing: a refused write leaves the document as it was, naming the write', async () => {
    const doc = new Document(ids.a);
    doc.set('kept', 1);
    doc.takeDelta();
    const before = doc.toJSON();
    const events = listen(doc);
    const refused = assertCoded(
      () =>
        doc.change((d) => {
          d.set('a', 1);
          d.increment('n');
          d.set('b', undefined);
          d.set('c', 3);
        }),
      'ERR_INVALID_ARGUMENT',
    );
    assert.equal(refused.write, 2);
    assert.match(refused.message, /^write 2 of the change: /);
    assertCoded(() => doc.change((d) => d.set('deep', JSON.parse('['.repeat(40) + ']'.repeat(40)))), 'ERR_TOO_DEEP');
    assertCoded(() => doc.change((d) => d.increment('n', -1)), 'ERR_INVALID_ARGUMENT');
    assertCoded(() => doc.change((d) => d.set(Array(40).fill('k'), 1)), 'ERR_INVALID_ARGUMENT');
    assert.deepEqual(doc.toJSON(), before);
    assert.equal(doc.takeDelta(), undefined);
    await settle();
    assert.deepEqual(events, []);
  });

  test('all or nothing: a field another replica is the authority of refuses the whole change', () => {
    const doc = new Document(ids.a);
    doc.setPolicy(['guests', '*', 'email'], { type: 'authority', replicas: [ids.b] });
    const refused = assertCoded(
      () =>
        doc.change((d) => {
          d.set(['guests', 'g1', 'name'], 'Ada');
          d.set(['guests', 'g1', 'email'], 'ada@example.com');
        }),
      'ERR_NOT_AUTHORITY',
    );
    assert.deepEqual(refused.path, ['guests', 'g1', 'email']);
    assert.deepEqual(doc.toJSON(), {});
    assert.equal(doc.takeDelta(), undefined);
  });

  test('all or nothing: if fn throws, its error comes out as is and nothing is applied', () => {
    const doc = new Document(ids.a);
    const boom = new Error('boom');
    assert.throws(
      () =>
        doc.change((d) => {
          d.set('a', 1);
          throw boom;
        }),
      (e) => e === boom,
    );
    assert.deepEqual(doc.toJSON(), {});
    assert.equal(doc.takeDelta(), undefined);
  });

  test('reads through the recorder see the writes before them, which then stay', async () => {
    const doc = new Document(ids.a);
    const events = listen(doc);
    assert.throws(() =>
      doc.change((d) => {
        d.increment('n', 2);
        d.set(['m', 'x'], 1);
        assert.equal(d.get('n'), 2);
        assert.deepEqual(d.toJSON(), { n: 2, m: { x: 1 } });
        assert.equal(d.read(['m', 'x']).value, 1);
        d.set('after', 1);
        throw new Error('late');
      }),
    );
    assert.deepEqual(doc.toJSON(), { n: 2, m: { x: 1 } }, 'the writes before the read stay, the later one is dropped');
    await settle();
    assert.deepEqual(events, [{ paths: [['n'], ['m', 'x']], local: true }], 'still one event');
    doc.change((d) => {
      d.increment('n');
      if (d.get('n') === 3) d.set('three', true);
    });
    assert.deepEqual(doc.toJSON(), { n: 3, m: { x: 1 }, three: true });
  });

  test('refuses write options, async functions, non-functions, and the recorder after the change', async () => {
    const doc = new Document(ids.a);
    assertCoded(() => doc.change((d) => d.set('k', 1, { ifMatch: '' })), 'ERR_INVALID_ARGUMENT');
    assertCoded(() => doc.change(async (d) => d.set('k', 1)), 'ERR_INVALID_ARGUMENT');
    assertCoded(() => doc.change('not a function'), 'ERR_INVALID_ARGUMENT');
    assert.deepEqual(doc.toJSON(), {});
    let kept;
    doc.change((d) => {
      kept = d;
    });
    assertCoded(() => kept.set('k', 1), 'ERR_INVALID_USE');
    assertCoded(() => kept.get('k'), 'ERR_INVALID_USE');
    doc.set('k', 1);
    assert.equal(doc.get('k'), 1, 'the document still works');
  });

  test("fn's error comes out even if fn freed the document", () => {
    const doc = new Document(ids.a);
    const boom = new Error('boom');
    assert.throws(
      () =>
        doc.change((d) => {
          d.set('a', 1);
          doc.free();
          throw boom;
        }),
      (e) => e === boom,
    );
  });

  test('array paths cross into the wasm packed in one string: any keys come back exactly, one write at a time and in a change', () => {
    // Keys that look like the packing (lengths, colons), empty ones, and keys whose
    // UTF-16 length differs from their UTF-8 length. Reads (get) take the unpacked
    // route, so they check the packed writes.
    const tricky = ['', ':', '1:', '0', '12', '3:abc', 'a:b', '😀', 'é', '\u{10FFFF}', 'k'];
    for (let seed = 1; seed <= 50; seed++) {
      const next = prng(seed);
      const pick = () => tricky[Math.floor(next() * tricky.length)];
      const writes = Array.from({ length: 40 }, (_, i) => [[pick(), pick(), pick()], i]);
      const model = {};
      for (const [[a, b, c], value] of writes) ((model[a] ??= {})[b] ??= {})[c] = value;
      const single = new Document(ids.a);
      for (const [path, value] of writes) single.set(path, value);
      const batched = new Document(ids.a);
      batched.change((d) => {
        for (const [path, value] of writes) d.set(path, value);
      });
      assert.deepEqual(single.toJSON(), model, `seed ${seed}`);
      assert.deepEqual(batched.toJSON(), model, `seed ${seed}: in a change`);
      for (const [[a, b, c]] of writes) assert.equal(single.get([a, b, c]), model[a][b][c]);
    }
  });

  test('a recorded write keeps its path as it was when recorded, though the array changes after', () => {
    const doc = new Document(ids.a);
    const path = ['users', 'u1', 'name'];
    doc.change((d) => {
      d.set(path, 'Ada');
      path[1] = 'u2';
      d.set(path, 'Bob');
    });
    assert.deepEqual(doc.toJSON(), { users: { u1: { name: 'Ada' }, u2: { name: 'Bob' } } });
  });

  test('100,000 writes over 10,000 keys in one change: each key reads its last write, and the one delta carries them', () => {
    const batched = new Document(ids.a);
    batched.change((d) => {
      for (let i = 0; i < 100_000; i++) d.set(`k${i % 10_000}`, i);
    });
    const json = batched.toJSON();
    assert.equal(Object.keys(json).length, 10_000);
    assert.equal(json.k0, 90_000);
    assert.equal(json.k9999, 99_999);
    assert.deepEqual(fromDelta(batched), json);
  });
});
