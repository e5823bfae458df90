// The sync protocol over an in-memory lossy network: messageFor/receive between two
// and three replicas until toJSON() and encode() agree; hello, sync tokens,
// save/restore.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertSameBytes, converge, hex, ids, prng, replyOf, syncLossy } from './helpers.mjs';

const { GCounter, PNCounter, OrSet, LwwRegister, MvRegister, Document } = converge;

/**
 * Random writes on a Document: registers, multi-value registers, counters, sets,
 * flags, nested keys and removals, over a small key space so replicas collide.
 * Every write's delta goes into `reference` too (the join of all writes ever made),
 * and increments are summed in `totals`.
 */
function writeRandomly(doc, random, count, reference, totals) {
  const key = () => ['a', 'b', 'c', 'd'][Math.floor(random() * 4)];
  for (let i = 0; i < count; i++) {
    const roll = random();
    const tag = `${doc.replicaId.slice(-2)}:${Math.floor(random() * 1000)}`;
    if (roll < 0.2) doc.set(['reg', key()], tag);
    else if (roll < 0.3) doc.setMulti(['mv', key()], tag);
    else if (roll < 0.45) {
      const n = 1 + Math.floor(random() * 5);
      doc.increment(['count', 'total'], n);
      totals.n += n;
    } else if (roll < 0.6) doc.addToSet(['set', key()], tag);
    else if (roll < 0.65) doc.removeFromSet(['set', key()], tag);
    else if (roll < 0.7) doc.enable(['flag', key()]);
    else if (roll < 0.75) doc.disable(['flag', key()]);
    else if (roll < 0.8) doc.remove(['reg', key()]);
    else if (roll < 0.85) doc.set(['nested', key(), key(), 'leaf'], { by: tag, list: [i] });
    else if (roll < 0.9) doc.remove(['nested', key()]);
    else doc.addToSet(['log'], tag);
  }
  const delta = doc.takeDelta();
  if (delta !== undefined) reference.merge(delta);
}

function assertConverged(docs, reference) {
  const bytes = reference.encode();
  const json = JSON.stringify(reference.toJSON(), (_, v) => (typeof v === 'bigint' ? `${v}n` : v));
  for (const d of docs) {
    assertSameBytes(d.encode(), bytes, `replica ${d.replicaId} holds every write`);
    assert.equal(
      JSON.stringify(d.toJSON(), (_, v) => (typeof v === 'bigint' ? `${v}n` : v)),
      json,
    );
  }
}

describe('Document sync over a lossy network (30% dropped, 15% duplicated, reordered)', () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    test(`two replicas, writes interleaved with sync (seed ${seed})`, () => {
      const random = prng(seed);
      const docs = [new Document(ids.a), new Document(ids.b)];
      const reference = new Document();
      const totals = { n: 0 };
      let dropped = 0;
      let duplicated = 0;
      for (let phase = 0; phase < 6; phase++) {
        for (const d of docs) writeRandomly(d, random, 10, reference, totals);
        // A few rounds: messages in flight while the next writes happen.
        const stats = syncLossy(docs, { random, rounds: 2 });
        dropped += stats.dropped;
        duplicated += stats.duplicated;
      }
      const stats = syncLossy(docs, { random });
      dropped += stats.dropped;
      duplicated += stats.duplicated;
      assertConverged(docs, reference);
      assert.equal(docs[0].get(['count', 'total']), totals.n, 'no increment lost');
      assert.ok(dropped > 0 && duplicated > 0, 'the network did drop and duplicate messages');
      // Quiet: nothing left to send, every delta acknowledged and collected.
      for (const d of docs) {
        const m = d.metrics();
        assert.equal(m.bufferDepth, 0);
        const peer = Object.values(m.peers)[0];
        assert.equal(peer.pending, 0);
        assert.equal(m.rejected, 0);
      }
    });
  }

  for (const seed of [11, 12, 13]) {
    test(`three replicas, all connected (seed ${seed})`, () => {
      const random = prng(seed);
      const docs = [new Document(ids.a), new Document(ids.b), new Document(ids.c)];
      const reference = new Document();
      const totals = { n: 0 };
      for (let phase = 0; phase < 5; phase++) {
        for (const d of docs) writeRandomly(d, random, 8, reference, totals);
        syncLossy(docs, { random, rounds: 2 });
      }
      syncLossy(docs, { random });
      assertConverged(docs, reference);
      assert.equal(docs[2].get(['count', 'total']), totals.n);
    });
  }

  test('60 more seeds: 2 to 4 replicas, half the messages dropped', () => {
    for (let seed = 100; seed < 160; seed++) {
      const random = prng(seed);
      const n = 2 + (seed % 3);
      const docs = Array.from({ length: n }, (_, i) => new Document((0xa0 + i).toString(16).padStart(16, '0')));
      const reference = new Document();
      const totals = { n: 0 };
      for (let phase = 0; phase < 4; phase++) {
        for (const d of docs) writeRandomly(d, random, 6, reference, totals);
        syncLossy(docs, { random, drop: 0.5, rounds: 1 + Math.floor(random() * 3) });
      }
      syncLossy(docs, { random, drop: 0.5 });
      assertConverged(docs, reference);
      docs.forEach((d) => d.free());
    }
  });

  test('three replicas in a line: b relays between a and c, which never meet', () => {
    const random = prng(21);
    const [a, b, c] = [new Document(ids.a), new Document(ids.b), new Document(ids.c)];
    const reference = new Document();
    const totals = { n: 0 };
    const links = [
      [a, b],
      [b, c],
    ];
    for (let phase = 0; phase < 5; phase++) {
      for (const d of [a, b, c]) writeRandomly(d, random, 8, reference, totals);
      syncLossy([a, b, c], { random, links, rounds: 2 });
    }
    syncLossy([a, b, c], { random, links });
    assertConverged([a, b, c], reference);
    assert.deepEqual(Object.keys(a.metrics().peers), [ids.b], 'a only ever talked to b');
    assert.deepEqual(Object.keys(c.metrics().peers), [ids.b]);
  });

  test('replaying every delivered message again, in any order, changes nothing', () => {
    const random = prng(31);
    const docs = [new Document(ids.a), new Document(ids.b)];
    const reference = new Document();
    const log = [];
    for (let phase = 0; phase < 3; phase++) {
      for (const d of docs) writeRandomly(d, random, 10, reference, { n: 0 });
      syncLossy(docs, { random, log });
    }
    assertConverged(docs, reference);
    const before = docs.map((d) => hex(d.encode()));
    const byId = new Map(docs.map((d) => [d.replicaId, d]));
    log.sort(() => random() - 0.5);
    for (const [to, message] of log) byId.get(to).receive(message);
    assert.deepEqual(docs.map((d) => hex(d.encode())), before);
    // And the replicas settle again.
    syncLossy(docs, { random, drop: 0, duplicate: 0 });
    assertConverged(docs, reference);
  });
});

describe('every class syncs', () => {
  const cases = {
    GCounter: [GCounter, (r, i) => r.increment(i + 1), (r) => r.value],
    PNCounter: [PNCounter, (r, i) => (i % 2 ? r.increment(i) : r.decrement(i)), (r) => r.value],
    OrSet: [OrSet, (r, i) => (i % 3 === 2 ? r.remove(`${r.replicaId}${i - 1}`) : r.add(`${r.replicaId}${i}`)), (r) => r.values()],
    LwwRegister: [LwwRegister, (r, i) => r.set(`${r.replicaId}:${i}`), (r) => r.writes()],
    MvRegister: [MvRegister, (r, i) => r.set(`${r.replicaId}:${i}`), (r) => r.values()],
  };
  for (const [name, [Class, write, read]] of Object.entries(cases)) {
    test(name, () => {
      const random = prng(41);
      const rs = [new Class(ids.a), new Class(ids.b), new Class(ids.c)];
      const reference = new Class();
      for (let phase = 0; phase < 4; phase++) {
        rs.forEach((r, k) => {
          for (let i = 0; i < 5; i++) write(r, phase * 5 + i + k);
          reference.merge(r.takeDelta());
        });
        syncLossy(rs, { random, rounds: 1 });
      }
      syncLossy(rs, { random });
      for (const r of rs) {
        assertSameBytes(r.encode(), reference.encode(), `${name} ${r.replicaId}`);
        assert.deepEqual(read(r), read(reference));
      }
    });
  }
});

/** Runs a -> b -> a ... until neither has a reply, without loss. */
function exchange(first, to, from) {
  let message = first;
  let [receiver, sender] = [to, from];
  let hops = 0;
  while (message !== undefined) {
    message = replyOf(receiver.receive(message));
    [receiver, sender] = [sender, receiver];
    if (++hops > 20) throw new Error('the exchange does not settle');
  }
  return hops;
}

describe('sync tokens, hello, save and restore', () => {
  test('syncToken is undefined before anything was received from the peer', () => {
    const a = new Document(ids.a);
    assert.equal(a.syncToken(ids.b), undefined);
  });

  test('restore + resume: the peer sends only the missing interval, not its full state', () => {
    const a = new Document(ids.a);
    const b = new Document(ids.b);
    for (let i = 0; i < 50; i++) a.addToSet('items', `item ${i}`);
    b.set('owner', 'b');
    syncLossy([a, b], { drop: 0, duplicate: 0 });
    assertSameBytes(a.encode(), b.encode());

    // b persists its replica and its token for a, then stops.
    const saved = b.save();
    const token = b.syncToken(ids.a);
    assert.ok(saved instanceof Uint8Array && token instanceof Uint8Array);
    b.free();

    a.increment('visits'); // a writes while b is away
    const restored = Document.restore(saved);
    assert.equal(restored.replicaId, ids.b, 'the same peer, as far as a is concerned');
    assert.deepEqual(restored.toJSON(), JSON.parse(JSON.stringify(a.toJSON(), (k, v) => (k === 'visits' ? undefined : v))));

    const fullBefore = a.metrics().fullStatesSent;
    const deltasBefore = a.metrics().deltasSent;
    const hello = restored.resume(token);
    assert.ok(hello instanceof Uint8Array);
    const reply = replyOf(a.receive(hello));
    assert.ok(reply instanceof Uint8Array, 'a answers the hello with what b lacks');
    exchange(reply, restored, a);
    assert.equal(a.metrics().fullStatesSent, fullBefore, 'no full state was needed');
    assert.equal(a.metrics().deltasSent, deltasBefore + 1);
    assert.equal(restored.get('visits'), 1);

    // The restored replica writes under a fresh writer id (its saved state may be
    // older than writes it made before stopping) and everything converges.
    restored.set('owner', 'b again');
    syncLossy([a, restored], { seed: 5 });
    assertSameBytes(a.encode(), restored.encode());
    const writers = Object.keys(a.version());
    assert.equal(writers.length, 3, 'a, b, and b after its restart');
    assert.ok(writers.includes(ids.a) && writers.includes(ids.b));
  });

  test('restoring a stale save loses no write: the peer hands the newer ones back', () => {
    const a = new Document(ids.a);
    const b = new Document(ids.b);
    b.set('x', 'before save');
    syncLossy([a, b], { drop: 0, duplicate: 0 });
    const staleSave = b.save();
    b.set('y', 'after save'); // reaches a, then b "crashes"
    b.increment('n', 5);
    syncLossy([a, b], { drop: 0, duplicate: 0 });
    const restored = Document.restore(staleSave);
    assert.equal(restored.get('y'), undefined);
    restored.increment('n', 1); // must not reuse the name of b's lost increment
    syncLossy([a, restored], { seed: 9 });
    for (const d of [a, restored]) {
      assert.equal(d.get('y'), 'after save');
      assert.equal(d.get('n'), 6, 'both increments count');
    }
    assertSameBytes(a.encode(), restored.encode());
  });

  test('hello restarts an exchange after every message was lost', () => {
    const a = new Document(ids.a);
    const b = new Document(ids.b);
    a.set('k', 'v');
    // a's message to b is lost; b says hello.
    a.messageFor(ids.b);
    const reply = replyOf(a.receive(b.hello(ids.a)));
    assert.ok(reply instanceof Uint8Array);
    exchange(reply, b, a);
    assert.equal(b.get('k'), 'v');
    assert.equal(a.messageFor(ids.b), undefined, 'b acknowledged everything');
    assert.equal(a.messageFor(ids.a), undefined, 'nothing to send to oneself');
  });

  test('writerId: the replica id until a restore, then a fresh id that writes carry', () => {
    const a = new Document(ids.a);
    assert.equal(a.writerId, ids.a);
    a.set('k', 'before');
    assert.equal(a.read('k').siblings[0].writer, ids.a);
    const restored = Document.restore(a.save());
    assert.equal(restored.replicaId, ids.a, 'the same peer');
    assert.match(restored.writerId, /^[0-9a-f]{16}$/);
    assert.notEqual(restored.writerId, ids.a, 'a fresh writer');
    assert.notEqual(Document.restore(a.save()).writerId, restored.writerId);
    restored.set('k', 'after');
    assert.deepEqual(
      restored.read('k').siblings.map((s) => [s.value, s.writer]),
      [['after', restored.writerId]],
    );
    assert.ok(Object.keys(restored.version()).includes(restored.writerId));
    for (const Class of [GCounter, PNCounter, OrSet, LwwRegister, MvRegister]) {
      const r = new Class(ids.b);
      assert.equal(r.writerId, ids.b, Class.name);
      assert.notEqual(Class.restore(r.save()).writerId, ids.b, Class.name);
    }
  });

  test('save/restore for every class', () => {
    const cases = [
      [GCounter, (r) => r.increment(3), (r) => r.value],
      [PNCounter, (r) => r.decrement(3), (r) => r.value],
      [OrSet, (r) => r.add('e'), (r) => r.values()],
      [LwwRegister, (r) => r.set('v'), (r) => r.value],
      [MvRegister, (r) => r.set('v'), (r) => r.values()],
      [Document, (r) => r.set('k', 'v'), (r) => r.toJSON()],
    ];
    for (const [Class, write, read] of cases) {
      const a = new Class(ids.a);
      write(a);
      const restored = Class.restore(a.save());
      assert.equal(restored.replicaId, ids.a);
      assert.deepEqual(read(restored), read(a));
      assertSameBytes(restored.encode(), a.encode());
    }
  });
});
