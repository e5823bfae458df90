// Document.takeDelta() after many writes (issue 16): past a few kilobytes of pending
// deltas, a document keeps only the paths written and reads their delta back from
// the document when taken. Checked with fast-check over histories of three replicas
// that write long runs between takes (long values, so the pending deltas pass that
// point within a few writes), at paths up to three keys deep that are often prefixes
// of each other, one at a time or in a change(), and merge each other's full states
// in between: every replica's deltas, delivered to a fresh replica in any order, reach
// exactly the join of the full states, and a delta taken from a replica changes
// nothing there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { converge, hex, ids } from './helpers.mjs';

const replicaIds = [ids.a, ids.b, ids.c];
const long = (s) => `${s}:${'v'.repeat(400)}`;
const value = fc.constantFrom(long('a'), long('b'), long('c'), 1);
const amount = fc.integer({ min: 1, max: 5 });
const path = fc.array(fc.constantFrom('x', 'y'), { minLength: 1, maxLength: 3 });
const write = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(fc.constant('set'), path, value) },
  fc.tuple(fc.constant('setMulti'), path, value),
  fc.tuple(fc.constantFrom('increment', 'decrement'), path, amount),
  fc.tuple(fc.constantFrom('addToSet', 'removeFromSet'), path, value),
  fc.tuple(fc.constantFrom('enable', 'disable', 'remove'), path),
);
const step = fc.oneof(
  { weight: 24, arbitrary: fc.record({ at: fc.nat(2), write }) },
  { weight: 4, arbitrary: fc.record({ at: fc.nat(2), change: fc.array(write, { minLength: 1, maxLength: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ at: fc.nat(2), from: fc.nat(2) }) },
  { weight: 1, arbitrary: fc.record({ take: fc.nat(2) }) },
);

/** A fresh replica holding the join of `parts` (encodings), merged in order. */
function joined(parts) {
  const x = new converge.Document(ids.d);
  try {
    for (const p of parts) x.merge(p);
    return hex(x.encode());
  } finally {
    x.free();
  }
}

test('deltas taken after long runs of writes reach the join of the full states', () => {
  let runs = 0;
  let longRuns = 0;
  fc.assert(
    fc.property(fc.array(step, { minLength: 40, maxLength: 160 }), fc.array(fc.nat(200), { maxLength: 30 }), (history, order) => {
      runs += 1;
      const replicas = replicaIds.map((id) => new converge.Document(id));
      const deltas = [];
      const sinceTake = [0, 0, 0];
      const take = (i) => {
        // About 16 writes make more than 4 KB of pending deltas.
        if (sinceTake[i] >= 24) longRuns += 1;
        sinceTake[i] = 0;
        const before = hex(replicas[i].encode());
        const d = replicas[i].takeDelta();
        if (d === undefined) return;
        deltas.push(d);
        // A delta taken holds nothing its replica does not.
        assert.equal(joined([replicas[i].encode(), d]), before);
      };
      try {
        for (const s of history) {
          if ('take' in s) {
            take(s.take);
          } else if ('from' in s) {
            if (s.from !== s.at) replicas[s.at].merge(replicas[s.from].encode());
          } else if ('change' in s) {
            replicas[s.at].change((w) => {
              for (const [method, ...args] of s.change) w[method](...args);
            });
            sinceTake[s.at] += s.change.length;
          } else {
            const [method, ...args] = s.write;
            replicas[s.at][method](...args);
            sinceTake[s.at] += 1;
          }
        }
        for (let i = 0; i < replicas.length; i++) take(i);
        const n = deltas.length;
        const shuffled = n === 0 ? [] : order.map((i) => deltas[i % n]);
        const delivered = [...shuffled, ...deltas.slice().reverse()];
        assert.equal(joined(delivered), joined(replicas.map((r) => r.encode())));
      } finally {
        for (const r of replicas) r.free();
      }
    }),
    { numRuns: 300 },
  );
  // The histories did reach the long runs this file is about.
  assert.ok(longRuns >= runs / 2, `${longRuns} long runs in ${runs} histories`);
});
