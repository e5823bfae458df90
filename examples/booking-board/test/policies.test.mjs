// The app's conflict logic in Node, on the same package the page uses: the field
// policies (confirmed absorbs, later expiry, siblings for notes, authority for guest,
// across a restart's fresh writer id), the inbox, the LWW verdict and the detection of
// what a merge newly met.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Document } from 'converge-crdt';
import { holdPath, writeHold } from '../src/board.js';
import { concurrencySignature, inboxEntries, lwwVerdict, newlyConcurrent } from '../src/conflicts.js';
import { applyPolicies, confirmedAbsorbs, laterWins } from '../src/policy.js';

const A = '00000000000000a1';
const B = '00000000000000b2';

/** Two replicas holding h1 (written by A, which owns `guest`), policies applied. */
function board() {
  const a = new Document(A);
  const b = new Document(B);
  a.set(['policy', 'authority'], A);
  a.addToSet(['replicas', A, 'writers'], a.writerId);
  writeHold(a, { id: 'h1', guest: 'Ada', status: 'active', expires_at: '2026-06-01T10:00', notes: 'n', seats: 2, tags: ['vip'] });
  b.merge(a.takeDelta());
  for (const d of [a, b]) applyPolicies(d, null);
  return { a, b };
}

/** Exchanges the pending writes both ways and re-applies the policies. */
function sync(a, b) {
  const [da, db] = [a.takeDelta(), b.takeDelta()];
  if (db) a.merge(db);
  if (da) b.merge(da);
  for (const d of [a, b]) applyPolicies(d, null);
}

test('resolvers: confirmed absorbs, equal values agree, released vs active is undecided', () => {
  const w = (value) => ({ value, writer: A, timestamp: null });
  assert.equal(confirmedAbsorbs([w('released'), w('confirmed')]), 'confirmed');
  assert.equal(confirmedAbsorbs([w('active'), w('active')]), 'active');
  assert.equal(confirmedAbsorbs([w('released'), w('active')]), undefined);
  assert.equal(laterWins([w('2026-06-01T10:00'), w('2026-06-01T09:30'), w('2026-05-31T23:00')]), '2026-06-01T10:00');
  assert.equal(laterWins([w('2026-06-01T10:00'), w(42)]), undefined, 'not a time: a person decides');
});

test('the seeds case: confirmed and the later expiry win; released vs active goes to the inbox', () => {
  const { a, b } = board();
  a.set(holdPath('h1', 'status'), 'confirmed');
  a.set(holdPath('h1', 'expires_at'), '2026-06-01T11:00');
  b.set(holdPath('h1', 'status'), 'released');
  b.set(holdPath('h1', 'expires_at'), '2026-06-01T12:00');
  sync(a, b);
  for (const d of [a, b]) {
    assert.equal(d.get(holdPath('h1', 'status')), 'confirmed');
    assert.equal(d.read(holdPath('h1', 'status')).outcome, 'resolved');
    assert.equal(d.get(holdPath('h1', 'expires_at')), '2026-06-01T12:00');
    assert.deepEqual(inboxEntries(d), []);
  }
  a.set(holdPath('h1', 'status'), 'active');
  b.set(holdPath('h1', 'status'), 'released');
  sync(a, b);
  for (const d of [a, b]) {
    const inbox = inboxEntries(d);
    assert.deepEqual(inbox.map((c) => [c.path.join('/'), c.outcome]), [['holds/h1/status', 'conflict']]);
    assert.deepEqual(inbox[0].siblings.map((s) => s.value).sort(), ['active', 'released']);
  }
  // The resolution is an ordinary write; it supersedes both siblings everywhere.
  a.set(holdPath('h1', 'status'), 'released');
  sync(a, b);
  for (const d of [a, b]) {
    assert.deepEqual(inboxEntries(d), []);
    assert.equal(d.read(holdPath('h1', 'status')).outcome, 'single');
  }
});

test('notes keep every concurrent note, and wait in the inbox', () => {
  const { a, b } = board();
  a.set(holdPath('h1', 'notes'), 'window seat');
  b.set(holdPath('h1', 'notes'), 'aisle seat');
  sync(a, b);
  for (const d of [a, b]) {
    assert.deepEqual([...d.get(holdPath('h1', 'notes'))].sort(), ['aisle seat', 'window seat']);
    assert.deepEqual(inboxEntries(d).map((c) => c.outcome), ['siblings']);
  }
});

test("guest: only the authority's writers count, also after its restart", () => {
  const { a, b } = board();
  a.set(holdPath('h1', 'guest'), 'Ada King');
  b.set(holdPath('h1', 'guest'), 'Mallory'); // concurrent, from a replica that does not own guest
  sync(a, b);
  for (const d of [a, b]) {
    const read = d.read(holdPath('h1', 'guest'));
    assert.equal(read.value, 'Ada King', "B's write is ignored");
    assert.deepEqual(read.ignored.map((w) => [w.value, w.writer]), [['Mallory', B]]);
    assert.deepEqual(inboxEntries(d), [], 'the policy settled it');
  }
  // A later write by B that saw A's replaces it causally: no counted value is left,
  // and the ignored write is listed (the app therefore lets only the owner edit guest).
  b.set(holdPath('h1', 'guest'), 'Mallory again');
  sync(a, b);
  assert.equal(a.read(holdPath('h1', 'guest')).value, undefined);
  assert.deepEqual(a.read(holdPath('h1', 'guest')).ignored.map((w) => w.value), ['Mallory again']);
  // A restarts: it writes under a fresh id, which counts once A registers it.
  const restarted = Document.restore(a.save());
  assert.notEqual(restarted.writerId, A);
  restarted.set(holdPath('h1', 'guest'), 'Ada Lovelace');
  applyPolicies(restarted, null);
  assert.equal(restarted.read(holdPath('h1', 'guest')).value, undefined, 'an unregistered writer does not count');
  restarted.addToSet(['replicas', A, 'writers'], restarted.writerId);
  applyPolicies(restarted, null);
  assert.equal(restarted.get(holdPath('h1', 'guest')), 'Ada Lovelace');
  b.merge(restarted.takeDelta());
  applyPolicies(b, null);
  assert.equal(b.get(holdPath('h1', 'guest')), 'Ada Lovelace');
});

test('LWW verdict: ambiguous inside the skew tolerance, clear outside it', (t) => {
  let now = 1_780_000_000_000;
  t.mock.method(Date, 'now', () => now);
  const { a, b } = board();
  a.set(holdPath('h1', 'status'), 'active');
  now += 300;
  b.set(holdPath('h1', 'status'), 'released');
  sync(a, b);
  const writes = a.read(holdPath('h1', 'status')).siblings;
  assert.equal(writes.length, 2);
  const close = lwwVerdict(writes, 2000);
  assert.equal(close.ambiguous, true);
  assert.equal(close.marginMs, 300);
  assert.equal(close.winner.value, 'released');
  assert.equal(lwwVerdict(writes, 100).ambiguous, false);
  assert.equal(lwwVerdict(writes.slice(0, 1), 2000), undefined);
});

test('newlyConcurrent: what a merge met, and nothing for a merge that brought no new conflict', () => {
  const { a, b } = board();
  a.set(holdPath('h1', 'status'), 'confirmed');
  b.set(holdPath('h1', 'status'), 'released');
  b.increment(holdPath('h1', 'seats'));
  const before = concurrencySignature(a);
  const delta = b.takeDelta();
  a.merge(delta);
  applyPolicies(a, null);
  assert.deepEqual(newlyConcurrent(a, before).map((c) => c.path.join('/')), ['holds/h1/status']);
  const after = concurrencySignature(a);
  a.merge(delta); // the same delta again: nothing new
  assert.deepEqual(newlyConcurrent(a, after), []);
  b.addToSet(holdPath('h1', 'tags'), 'paid'); // sets never conflict
  a.merge(b.takeDelta());
  assert.deepEqual(newlyConcurrent(a, after), []);
});
