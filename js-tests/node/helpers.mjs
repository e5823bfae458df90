// Shared helpers of the Node suites: the built package, a seeded PRNG, assertions on
// thrown errors, permutations, and an in-memory lossy transport for sync.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const distEntry = fileURLToPath(
  new URL('../../wasm/npm/dist/node/index.mjs', import.meta.url),
);
if (!existsSync(distEntry)) {
  throw new Error(`${distEntry} is missing: build the package first (bash wasm/build.sh)`);
}
export const converge = await import(distEntry);

/**
 * Test options for a test that checks a documented promise the package does not
 * keep yet: it runs and reports as TODO (the run stays green); with
 * CONVERGE_STRICT=1 it is an ordinary test and fails until the bug is fixed.
 */
export function knownBug(reason) {
  return process.env.CONVERGE_STRICT ? {} : { todo: `known bug: ${reason}` };
}

/** Fixed replica ids, so failures are reproducible. */
export const ids = {
  a: '00000000000000a1',
  b: '00000000000000b2',
  c: '00000000000000c3',
  d: '00000000000000d4',
};

/** mulberry32: a small seeded PRNG returning floats in [0, 1). */
export function prng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Every ordering of `items` (n! of them: keep n small). */
export function* permutations(items) {
  if (items.length <= 1) {
    yield items.slice();
    return;
  }
  for (let i = 0; i < items.length; i++) {
    const rest = [...items.slice(0, i), ...items.slice(i + 1)];
    for (const tail of permutations(rest)) yield [items[i], ...tail];
  }
}

export const hex = (bytes) => Buffer.from(bytes).toString('hex');

/** Asserts two encodings are byte-for-byte equal. */
export function assertSameBytes(actual, expected, message) {
  assert.ok(actual instanceof Uint8Array, 'expected a Uint8Array');
  assert.equal(hex(actual), hex(expected), message);
}

/**
 * Asserts `fn` throws a real `Error` carrying the string `code` given (or any string
 * code when `code` is omitted), and returns the error.
 */
export function assertCoded(fn, code) {
  let thrown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  assert.ok(thrown !== undefined, `expected a throw with code ${code ?? '(any)'}`);
  assert.ok(
    thrown instanceof Error,
    `expected an Error instance, got ${Object.prototype.toString.call(thrown)}`,
  );
  assert.equal(
    typeof thrown.code,
    'string',
    `expected a string code, got ${String(thrown.code)} on ${thrown.constructor.name}: ${thrown.message}`,
  );
  if (code !== undefined) assert.equal(thrown.code, code, thrown.message);
  assert.ok(thrown.message.length > 0, 'the error has a message');
  return thrown;
}

/**
 * A few objects created before an error, to show after it that the module and the
 * objects that existed still work.
 */
export function canaries() {
  const { Document, GCounter } = converge;
  const doc = new Document(ids.d);
  doc.set(['canary', 'name'], 'still here');
  doc.increment(['canary', 'n'], 2);
  const counter = new GCounter(ids.d);
  counter.increment(3);
  return {
    check() {
      doc.increment(['canary', 'n']);
      assert.deepEqual(doc.toJSON(), { canary: { name: 'still here', n: 3 } });
      counter.increment();
      assert.equal(counter.value, 4);
      // And new objects can be made and used.
      const fresh = new Document();
      fresh.merge(doc.encode());
      assert.deepEqual(fresh.toJSON(), doc.toJSON());
      fresh.free();
    },
  };
}

/**
 * The reply in what `receive` returned: the Uint8Array itself (or undefined), or a
 * Document's merge report's `reply`.
 */
export const replyOf = (received) =>
  received instanceof Uint8Array || received === undefined ? received : received.reply;

/**
 * The concurrent writes a merge met: what `merge` returned (a number), or a Document's
 * merge report's `concurrentWrites`.
 */
export const metOf = (merged) => (typeof merged === 'number' ? merged : merged.concurrentWrites);

/**
 * An in-memory network between replicas (objects with messageFor/receive/replicaId):
 * every message is dropped with probability `drop`, duplicated with probability
 * `duplicate`, and the queue is delivered in a shuffled order. `links` says which
 * pairs talk (default: every pair). Returns the rounds taken and traffic counts.
 *
 * A round: every replica offers each linked peer messageFor(peer); then messages are
 * delivered (replies go back through the same lossy network) until the queue is
 * empty. It stops once no replica has anything left to send to any peer (or after
 * `rounds` rounds, quiet or not, when given). `log`, if given, receives every
 * delivered message as [recipientId, bytes].
 */
export function syncLossy(
  replicas,
  { seed = 1, random = prng(seed), drop = 0.3, duplicate = 0.15, links, maxRounds = 500, rounds, log } = {},
) {
  const byId = new Map(replicas.map((r) => [r.replicaId, r]));
  const pairs =
    links ??
    replicas.flatMap((x) => replicas.filter((y) => y !== x).map((y) => [x, y]));
  const directed = pairs.flatMap(([x, y]) => [
    [x, y],
    [y, x],
  ]);
  const stats = { rounds: 0, sent: 0, dropped: 0, duplicated: 0, delivered: 0 };
  let queue = [];
  const send = (from, to, message) => {
    assert.ok(message instanceof Uint8Array, 'sync messages are Uint8Arrays');
    stats.sent++;
    if (random() < drop) {
      stats.dropped++;
      return;
    }
    queue.push([from, to, message]);
    if (random() < duplicate) {
      stats.duplicated++;
      queue.push([from, to, message.slice()]);
    }
  };
  const quiet = () =>
    directed.every(([x, y]) => x.messageFor(y.replicaId) === undefined);
  while (stats.rounds < maxRounds) {
    stats.rounds++;
    for (const [x, y] of directed) {
      const message = x.messageFor(y.replicaId);
      if (message !== undefined) send(x.replicaId, y.replicaId, message);
    }
    while (queue.length > 0) {
      // Deliver in a random order: reordering is part of the network.
      const pick = Math.floor(random() * queue.length);
      const [from, to, message] = queue.splice(pick, 1)[0];
      stats.delivered++;
      log?.push([to, message]);
      const reply = replyOf(byId.get(to).receive(message));
      if (reply !== undefined) send(to, from, reply);
    }
    if (rounds !== undefined && stats.rounds >= rounds) return stats;
    if (rounds === undefined && quiet()) return stats;
  }
  throw new Error(`no quiescence after ${maxRounds} rounds: ${JSON.stringify(stats)}`);
}
