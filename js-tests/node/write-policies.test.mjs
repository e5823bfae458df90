// Write-time policies on a Document (issue 14, items 9b, 11 to 14): authority
// refusals (ERR_NOT_AUTHORITY), conditional writes (ERR_STALE with current), the
// merge report of merge/receive, policy metrics and the dead-letter list.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertCoded, converge, ids } from './helpers.mjs';

const { Document, GCounter } = converge;
const EMAIL = ['guests', 'g1', 'email'];

function withAuthority(id, authority) {
  const doc = new Document(id);
  doc.setPolicy(['guests', '*', 'email'], { type: 'authority', replicas: [authority] });
  return doc;
}

describe('authority', () => {
  test('a local write by a non-authority is refused with ERR_NOT_AUTHORITY and changes nothing', () => {
    const owner = withAuthority(ids.a, ids.a);
    owner.set(EMAIL, 'ada@example.com');
    const desk = withAuthority(ids.b, ids.a);
    desk.merge(owner.takeDelta());
    const before = desk.encode();
    const error = assertCoded(() => desk.set(EMAIL, 'bob@example.com'), 'ERR_NOT_AUTHORITY');
    assert.deepEqual(error.path, EMAIL);
    assert.equal(error.writer, ids.b);
    // Removing a map that holds the owner's field is refused too.
    assertCoded(() => desk.remove(['guests']), 'ERR_NOT_AUTHORITY');
    assert.deepEqual(desk.encode(), before);
    assert.equal(desk.takeDelta(), undefined, 'nothing to send');
    desk.set(['guests', 'g1', 'name'], 'Ada'); // other fields stay writable
    const [letter] = desk.deadLetters();
    assert.equal(letter.kind, 'write');
    assert.equal(letter.code, 'ERR_NOT_AUTHORITY');
    assert.equal(letter.origin, ids.b);
    assert.deepEqual(letter.path, EMAIL);
    assert.equal(letter.bytes, null);
  });

  test('a write from a peer without the policy merges, and conflicts() lists it as ignored', () => {
    const owner = withAuthority(ids.a, ids.a);
    owner.set(EMAIL, 'ada@example.com');
    const peer = new Document(ids.b); // no policy: it may overwrite
    peer.merge(owner.takeDelta());
    peer.set(EMAIL, 'bob@example.com');
    const report = owner.merge(peer.takeDelta());
    assert.deepEqual(report.changed, [EMAIL]);
    assert.equal(report.policies[0].ignored, 1);
    const read = owner.read(EMAIL);
    assert.equal(read.value, undefined, 'the authority value was superseded');
    const [conflict] = owner.conflicts();
    assert.deepEqual(conflict.path, EMAIL);
    assert.equal(conflict.ignored[0].writer, ids.b);
    assert.equal(conflict.ignored[0].value, 'bob@example.com');
  });

  test('an authority restored from save() is still the authority', () => {
    const owner = withAuthority(ids.a, ids.a);
    const restored = Document.restore(owner.save());
    restored.setPolicy(['guests', '*', 'email'], { type: 'authority', replicas: [ids.a] });
    assert.notEqual(restored.writerId, ids.a);
    restored.set(EMAIL, 'ada@example.com');
    const desk = withAuthority(ids.b, ids.a);
    desk.merge(restored.takeDelta());
    assert.equal(desk.read(EMAIL).value, 'ada@example.com');
    assert.deepEqual(desk.read(EMAIL).ignored, []);
  });
});

describe('conditional writes', () => {
  test('ifMatch: the read version passes once, then the write is refused with ERR_STALE and current', () => {
    const doc = new Document(ids.a);
    doc.set(['status'], 'active', { ifMatch: '' }); // '' = nothing written yet
    assertCoded(() => doc.set(['status'], 'again', { ifMatch: '' }), 'ERR_STALE');
    const { version } = doc.read(['status']);
    assert.equal(typeof version, 'string');
    doc.set(['status'], 'confirmed', { ifMatch: version });
    const before = doc.encode();
    const error = assertCoded(() => doc.set(['status'], 'released', { ifMatch: version }), 'ERR_STALE');
    assert.equal(error.current, doc.read(['status']).version);
    assert.notEqual(error.current, version);
    assert.deepEqual(doc.encode(), before);
    assert.equal(doc.get(['status']), 'confirmed');
    // Every write takes the option.
    const n = doc.read(['status']).version;
    assertCoded(() => doc.increment(['seats'], 1, { ifMatch: n }), 'ERR_STALE');
    doc.increment(['seats'], 1, { ifMatch: '' });
    assertCoded(() => doc.set(['status'], 'x', { ifMatch: 'not a version' }), 'ERR_INVALID_ARGUMENT');
    assert.deepEqual(
      doc.deadLetters().map((l) => l.code),
      ['ERR_STALE', 'ERR_STALE', 'ERR_STALE'],
    );
  });

  test('two replicas that read the same version both write; the writes merge and show as a conflict', () => {
    const a = new Document(ids.a);
    const b = new Document(ids.b);
    for (const doc of [a, b]) doc.setPolicy(['status'], { type: 'siblings' });
    a.set(['status'], 'active');
    b.merge(a.takeDelta());
    const seen = a.read(['status']).version;
    assert.equal(b.read(['status']).version, seen);
    a.set(['status'], 'confirmed', { ifMatch: seen });
    b.set(['status'], 'released', { ifMatch: seen });
    const report = a.merge(b.takeDelta());
    b.merge(a.takeDelta());
    assert.equal(report.concurrentWrites, 1);
    assert.equal(report.policies[0].verdict, 'review');
    for (const doc of [a, b]) {
      const [conflict] = doc.conflicts();
      assert.deepEqual(conflict.path, ['status']);
      assert.equal(conflict.siblings.length, 2);
    }
  });
});

describe('merge reports, policy metrics, dead letters', () => {
  test('receive returns the report with the reply; metrics count by policy and pattern', (t) => {
    let now = 1_700_000_000_000;
    t.mock.method(Date, 'now', () => now);
    const a = new Document(ids.a);
    const b = new Document(ids.b);
    for (const doc of [a, b]) doc.setPolicy(['holds', '*', 'notes'], { type: 'siblings' });
    a.set(['holds', 'h1', 'notes'], 'cot');
    a.set(['holds', 'h1', 'status'], 'active');
    now += 10_000;
    b.set(['holds', 'h1', 'notes'], 'late');
    b.set(['holds', 'h1', 'status'], 'confirmed');
    const received = a.receive(b.messageFor(ids.a));
    assert.ok(received.reply instanceof Uint8Array, 'the reply to send back');
    assert.deepEqual(received.changed, [
      ['holds', 'h1', 'notes'],
      ['holds', 'h1', 'status'],
    ]);
    assert.equal(received.concurrentWrites, 2);
    assert.deepEqual(
      received.policies.map((p) => [p.pattern, p.policy, p.outcome, p.verdict]),
      [
        ['holds/*/notes', 'siblings', 'siblings', 'review'],
        ['(default)', 'lww', 'lastWriterWins', 'settled'],
      ],
    );
    const back = b.receive(received.reply); // the ack: nothing changes
    assert.deepEqual(back.changed, []);
    assert.equal(back.reply, undefined);
    const metrics = a.policyMetrics();
    assert.deepEqual(metrics, a.metrics().policies);
    assert.deepEqual(
      metrics.map((m) => [m.pattern, m.policy, m.settled, m.review, m.ignored, m.refused]),
      [
        ['(default)', 'lww', 1, 0, 0, 0],
        ['holds/*/notes', 'siblings', 0, 1, 0, 0],
      ],
    );
  });

  test('a report names each field under its own rule when rules alternate along the path order', () => {
    const [a, b] = [new Document(ids.a), new Document(ids.b)];
    for (const doc of [a, b]) doc.setPolicy(['*', 'x'], { type: 'siblings' });
    for (const [doc, value] of [[a, 1], [b, 2]]) {
      doc.set(['a', 'x'], value);
      doc.set(['b'], value);
      doc.set(['c', 'x'], value);
    }
    const report = a.merge(b.encode());
    assert.deepEqual(
      report.policies.map((p) => [p.path, p.pattern, p.policy, p.outcome, p.verdict, p.ignored]),
      [
        [['a', 'x'], '*/x', 'siblings', 'siblings', 'review', 0],
        [['b'], '(default)', 'lww', 'lastWriterWins', 'settled', 0],
        [['c', 'x'], '*/x', 'siblings', 'siblings', 'review', 0],
      ],
    );
    assert.deepEqual(report.byPath.map((p) => p.path), [['a', 'x'], ['b'], ['c', 'x']]);
    // Each path is its own array: changing one list's path leaves the others alone.
    report.changed[0].push('z');
    assert.deepEqual(report.policies[0].path, ['a', 'x']);
  });

  test('rejected sync input goes to the dead letters, bounded, with byte length; clearDeadLetters empties it', () => {
    const doc = new Document(ids.a);
    const counter = new GCounter(ids.b);
    counter.increment();
    const wrongType = counter.messageFor(ids.a);
    const first = assertCoded(() => doc.receive(wrongType));
    const second = assertCoded(() => doc.receive(new Uint8Array([1, 2, 3])));
    const letters = doc.deadLetters();
    assert.equal(letters.length, 2);
    assert.deepEqual(
      letters.map((l) => [l.kind, l.code, l.bytes]),
      [
        ['message', first.code, wrongType.length],
        ['message', second.code, 3],
      ],
    );
    assert.ok(letters.every((l) => l.message.length > 0));
    for (let i = 0; i < 300; i++) assertCoded(() => doc.receive(new Uint8Array([i & 0xff])));
    assert.equal(doc.deadLetters().length, 256, 'bounded');
    assert.equal(doc.metrics().deadLettersDropped, 302 - 256, 'what dropped out is counted');
    doc.clearDeadLetters();
    assert.deepEqual(doc.deadLetters(), []);
    assert.equal(doc.metrics().deadLettersDropped, 302);
    // Other classes keep rejected messages too.
    assertCoded(() => counter.receive(new Uint8Array([1])));
    assert.equal(counter.deadLetters().length, 1);
  });
});
