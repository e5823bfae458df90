// Properties of the JS API, checked with fast-check over random histories of every
// class (12,000 cases in all: 6 classes x 5 properties x 400 runs). A history is a
// list of steps on three replicas: a write (the class's own operations) or one
// replica merging another's full state, so writes depend on each other causally.
//
// - merge is commutative, associative and idempotent on the replicas' states;
// - encode/decode round-trips to identical bytes;
// - the deltas (takeDelta after every write), delivered to a fresh replica in any
//   order, with duplicates, reach exactly the join of the full states.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { converge, hex, ids } from './helpers.mjs';

const RUNS = 400;
const replicaIds = [ids.a, ids.b, ids.c];
const value = fc.constantFrom('a', 'b', 1, 2, true, null);
const amount = fc.integer({ min: 1, max: 5 });
const path = fc.array(fc.constantFrom('x', 'y'), { minLength: 1, maxLength: 2 });

/** Per class: an arbitrary write, as [method, ...args]. */
const writes = {
  GCounter: amount.map((n) => ['increment', n]),
  PNCounter: fc.tuple(fc.constantFrom('increment', 'decrement'), amount),
  OrSet: fc.oneof(
    value.map((v) => ['add', v]),
    value.map((v) => ['remove', v]),
    fc.constant(['clear']),
  ),
  LwwRegister: value.map((v) => ['set', v]),
  MvRegister: value.map((v) => ['set', v]),
  Document: fc.oneof(
    fc.tuple(fc.constant('set'), path, value),
    fc.tuple(fc.constant('setMulti'), path, value),
    fc.tuple(fc.constantFrom('increment', 'decrement'), path, amount),
    fc.tuple(fc.constantFrom('addToSet', 'removeFromSet'), path, value),
    fc.tuple(fc.constantFrom('enable', 'disable', 'remove'), path),
  ),
};

const step = (write) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.record({ at: fc.nat(2), write }) },
    { weight: 1, arbitrary: fc.record({ at: fc.nat(2), from: fc.nat(2) }) },
  );

/** Runs a history; returns the replicas and every delta, in the order made. */
function run(Class, history) {
  const replicas = replicaIds.map((id) => new Class(id));
  const deltas = [];
  for (const s of history) {
    const r = replicas[s.at];
    if ('from' in s) {
      if (s.from !== s.at) r.merge(replicas[s.from].encode());
    } else {
      const [method, ...args] = s.write;
      r[method](...args);
      const d = r.takeDelta();
      if (d !== undefined) deltas.push(d);
    }
  }
  return { replicas, deltas };
}

/** A fresh replica holding the join of `parts` (encodings), merged in order. */
function joined(Class, parts) {
  const x = new Class(ids.d);
  try {
    for (const p of parts) x.merge(p);
    return hex(x.encode());
  } finally {
    x.free();
  }
}

function withHistory(Class, history, check) {
  const { replicas, deltas } = run(Class, history);
  try {
    return check(replicas.map((r) => r.encode()), deltas);
  } finally {
    for (const r of replicas) r.free();
  }
}

const classes = Object.keys(writes);
let cases = 0;

for (const name of classes) {
  const Class = converge[name];
  const history = fc.array(step(writes[name]), { maxLength: 12 });
  const property = (check, extra = fc.constant(null)) =>
    fc.assert(
      fc.property(history, extra, (h, e) => {
        cases += 1;
        return withHistory(Class, h, (states, deltas) => check(states, deltas, e));
      }),
      { numRuns: RUNS },
    );

  describe(name, () => {
    test('merge is commutative', () =>
      property(([a, b]) => {
        assert.equal(joined(Class, [a, b]), joined(Class, [b, a]));
      }));

    test('merge is associative', () =>
      property(([a, b, c]) => {
        const ab = converge[name].decode(a, ids.d);
        ab.merge(b);
        const bc = converge[name].decode(b, ids.d);
        bc.merge(c);
        try {
          assert.equal(joined(Class, [ab.encode(), c]), joined(Class, [a, bc.encode()]));
        } finally {
          ab.free();
          bc.free();
        }
      }));

    test('merge is idempotent', () =>
      property(([a]) => {
        assert.equal(joined(Class, [a, a]), hex(a));
      }));

    test('encode/decode round-trips to the same bytes', () =>
      property((states) => {
        for (const s of states) {
          const back = Class.decode(s, ids.d);
          try {
            assert.equal(hex(back.encode()), hex(s));
          } finally {
            back.free();
          }
        }
      }));

    test('deltas in any order, with duplicates, reach the join of the full states', () =>
      property(
        (states, deltas, order) => {
          const n = deltas.length;
          const shuffled = order.map((i) => deltas[i % Math.max(n, 1)]).filter((d) => n > 0);
          // Then every delta once more, newest first, so none is missing.
          const delivered = [...shuffled, ...deltas.slice().reverse()];
          assert.equal(joined(Class, delivered), joined(Class, states));
        },
        fc.array(fc.nat(40), { maxLength: 24 }),
      ));
  });
}

test('at least 10,000 property cases ran', () => {
  // node:test runs the describe blocks above first, in order.
  assert.ok(cases >= classes.length * 5 * RUNS, `${cases} cases`);
  assert.ok(cases >= 10_000);
});
