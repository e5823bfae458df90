// Document.subscribe: change events after local writes, merges and sync messages,
// delivered in a microtask after the call; nothing for a change of nothing; a
// throwing listener is reported and leaves the document usable.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertCoded, converge, ids, replyOf } from './helpers.mjs';

const { Document } = converge;

/** Lets queued microtasks (the event delivery) run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

function recorder(doc) {
  const events = [];
  const unsubscribe = doc.subscribe((event) => events.push(event));
  return { events, unsubscribe };
}

describe('Document.subscribe', () => {
  test('a local write fires once, after the call, with its path and local: true', async () => {
    const d = new Document(ids.a);
    const { events } = recorder(d);
    d.set(['holds', 'h1', 'status'], 'held');
    assert.equal(events.length, 0, 'delivered in a microtask, not inside the call');
    await settle();
    assert.deepEqual(events, [{ paths: [['holds', 'h1', 'status']], local: true }]);
    d.increment('n');
    d.remove('n');
    await settle();
    assert.deepEqual(events.slice(1), [
      { paths: [['n']], local: true },
      { paths: [['n']], local: true },
    ]);
  });

  test('a write that changes nothing fires nothing', async () => {
    const d = new Document(ids.a);
    const { events } = recorder(d);
    d.removeFromSet('tags', 'absent');
    d.remove('nothing');
    await settle();
    assert.deepEqual(events, []);
  });

  test('merge and receive fire with the remote paths and local: false; a duplicate fires nothing', async () => {
    const a = new Document(ids.a);
    const b = new Document(ids.b);
    const { events } = recorder(b);
    a.set(['x', 'y'], 1);
    a.increment('count');
    const delta = a.takeDelta();
    b.merge(delta);
    await settle();
    assert.deepEqual(events, [{ paths: [['count'], ['x', 'y']], local: false }]);
    b.merge(delta);
    b.merge(a.encode());
    await settle();
    assert.equal(events.length, 1, 'a duplicate delta or a state with no news fires nothing');

    // receive: sync messages between a and a new replica c.
    const c = new Document(ids.c);
    const got = recorder(c);
    a.set('z', true);
    const delivered = [];
    const exchange = () => {
      for (let round = 0; round < 10; round++) {
        let quiet = true;
        for (const [from, to] of [[a, c], [c, a]]) {
          const message = from.messageFor(to.replicaId);
          if (!message) continue;
          quiet = false;
          if (to === c) delivered.push(message);
          const reply = replyOf(to.receive(message));
          if (reply) from.receive(reply);
        }
        if (quiet) return;
      }
    };
    exchange();
    await settle();
    assert.ok(got.events.length >= 1);
    assert.ok(got.events.every((e) => e.local === false));
    const paths = got.events.flatMap((e) => e.paths).map((p) => p.join('/')).sort();
    assert.deepEqual([...new Set(paths)], ['count', 'x/y', 'z']);
    // The same messages again bring nothing.
    const before = got.events.length;
    for (const message of delivered) c.receive(message);
    await settle();
    assert.equal(got.events.length, before);
  });

  test('unsubscribe stops delivery (also of changes already queued); calling it twice is harmless', async () => {
    const d = new Document(ids.a);
    const { events, unsubscribe } = recorder(d);
    d.set('a', 1);
    await settle();
    d.set('b', 2);
    unsubscribe();
    unsubscribe();
    d.set('c', 3);
    await settle();
    assert.deepEqual(events, [{ paths: [['a']], local: true }]);
  });

  test('a listener may read and write the document; a throwing listener is reported and leaves it usable', async (t) => {
    const d = new Document(ids.a);
    const reported = [];
    const hadReportError = 'reportError' in globalThis;
    const original = globalThis.reportError;
    globalThis.reportError = (error) => reported.push(error);
    t.after(() => {
      if (hadReportError) globalThis.reportError = original;
      else delete globalThis.reportError;
    });
    const seen = [];
    d.subscribe(() => {
      throw new Error('listener failed');
    });
    d.subscribe((event) => {
      seen.push(d.toJSON());
      if (event.paths[0][0] === 'first') d.set('second', d.get('first') + 1);
    });
    d.set('first', 1);
    await settle();
    await settle();
    assert.deepEqual(seen, [{ first: 1 }, { first: 1, second: 2 }]);
    assert.equal(reported.length, 2);
    assert.equal(reported[0].message, 'listener failed');
    // Still fully usable.
    d.increment('n');
    assert.equal(d.get('n'), 1);
    assert.ok(d.save() instanceof Uint8Array);
    assert.ok(d.takeDelta() instanceof Uint8Array);
  });

  test('subscribe takes a function', () => {
    const d = new Document(ids.a);
    assertCoded(() => d.subscribe('not a function'), 'ERR_INVALID_ARGUMENT');
  });
});
