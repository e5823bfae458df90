// The app's conflict logic in Node, on the same package the page uses: the field
// policies (confirmed absorbs, later expiry, siblings for notes, authority for guest,
// across a restart's fresh writer id), the inbox, the LWW verdict converge gives and
// the merge report the audit log records.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Document } from 'converge-crdt';
import { holdPath, writeHold } from '../src/board.js';
import { inboxEntries, metFields } from '../src/conflicts.js';
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

test("guest: only the authority writes it, also after its restart; peers' writes are ignored and listed", () => {
  const { a, b } = board();
  a.set(holdPath('h1', 'guest'), 'Ada King');
  // B has the policy: its local write is refused, changes nothing, and is a dead letter.
  assert.throws(() => b.set(holdPath('h1', 'guest'), 'Mallory'), { code: 'ERR_NOT_AUTHORITY' });
  assert.deepEqual(b.deadLetters().map((l) => [l.code, l.path.join('/')]), [['ERR_NOT_AUTHORITY', 'holds/h1/guest']]);
  // A peer without the policy (an old version, or a forged one) still gets its write
  // merged: it is ignored by the read, and listed.
  const rogue = new Document('00000000000000c3');
  rogue.merge(a.encode());
  rogue.set(holdPath('h1', 'guest'), 'Mallory');
  sync(a, b);
  const report = b.merge(rogue.takeDelta());
  assert.deepEqual(report.policies.map((p) => [p.path.join('/'), p.pattern, p.ignored]), [['holds/h1/guest', 'holds/*/guest', 1]]);
  assert.equal(b.read(holdPath('h1', 'guest')).value, undefined, "the rogue write superseded A's");
  assert.deepEqual(inboxEntries(b).map((c) => [c.path.join('/'), c.ignored.map((w) => w.value)]), [['holds/h1/guest', ['Mallory']]]);
  // A restarts: it writes under a fresh id, which still counts as A's.
  const restarted = Document.restore(a.save());
  applyPolicies(restarted, null);
  assert.notEqual(restarted.writerId, A);
  restarted.set(holdPath('h1', 'guest'), 'Ada Lovelace');
  assert.equal(restarted.get(holdPath('h1', 'guest')), 'Ada Lovelace');
  b.merge(restarted.takeDelta());
  assert.equal(b.get(holdPath('h1', 'guest')), 'Ada Lovelace');
  // The rogue write stays listed until the owner writes over what it has seen.
  assert.deepEqual(inboxEntries(b).map((c) => c.ignored.map((w) => w.value)), [['Mallory']]);
  restarted.merge(b.encode());
  restarted.set(holdPath('h1', 'guest'), 'Ada Lovelace');
  b.merge(restarted.takeDelta());
  assert.deepEqual(inboxEntries(b), []);
});

test('LWW verdict from converge: ambiguous inside the skew tolerance, clear outside it', (t) => {
  let now = 1_780_000_000_000;
  t.mock.method(Date, 'now', () => now);
  const { a, b } = board();
  a.set(holdPath('h1', 'status'), 'active');
  now += 300;
  b.set(holdPath('h1', 'status'), 'released');
  sync(a, b);
  const lww = (ms) => a.read(holdPath('h1', 'status'), { policy: { type: 'lww', skewToleranceMs: ms } });
  assert.equal(lww(2000).outcome, 'ambiguous');
  assert.equal(lww(2000).siblings[0].value, 'released', 'the winner first');
  assert.equal(lww(100).outcome, 'lastWriterWins');
  assert.equal(a.read(holdPath('h1', 'status')).outcome, 'conflict', 'the configured policy still reads as before');
});

test('the merge report: what a merge met, and nothing for a merge that brought no new conflict', () => {
  const { a, b } = board();
  a.set(holdPath('h1', 'status'), 'confirmed');
  b.set(holdPath('h1', 'status'), 'released');
  b.increment(holdPath('h1', 'seats'));
  const delta = b.takeDelta();
  const report = a.merge(delta);
  assert.deepEqual(report.changed.map((p) => p.join('/')), ['holds/h1/seats', 'holds/h1/status']);
  assert.deepEqual(metFields(a, report).map((c) => [c.path.join('/'), c.verdict]), [['holds/h1/status', 'settled']]);
  assert.deepEqual(a.merge(delta).policies, [], 'the same delta again: nothing new');
  b.addToSet(holdPath('h1', 'tags'), 'paid'); // sets never conflict
  assert.deepEqual(a.merge(b.takeDelta()).policies, []);
  const metrics = a.policyMetrics().find((m) => m.pattern === 'holds/*/status');
  assert.equal(metrics.settled, 1);
});
