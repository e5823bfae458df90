// converge-crdt/relay against the real relay binary (started here on a free port, in
// Node 20 with the ws package): two clients sync through it; a relay killed and
// restarted mid-session loses no acknowledged write and the clients reconnect; a
// client restored from saved bytes resumes with its sync token (a delta, not the full
// state); a bad token stops the client and tells the UI; a persisted (durable)
// replica sends once saved.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { converge } from './helpers.mjs';
import { buildRelay, cleanup, dataDir, startRelay, until } from './relay-helpers.mjs';

const { connect, memoryStore, persist, RELAY_PEER_ID } = await import(
  fileURLToPath(new URL('../../wasm/npm/dist/relay.js', import.meta.url))
);
const { Document } = converge;

const fast = { WebSocket, minDelayMs: 20, maxDelayMs: 200, watchNetwork: false };

/** An HS256 JWT for the relay's secret. */
function jwt(secret, claims) {
  const part = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const body = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}

describe('the relay client against the real relay', () => {
  let dir;
  let relay;
  before(async () => {
    buildRelay();
    dir = dataDir();
    relay = await startRelay({ data: dir });
  });
  after(async () => {
    await relay?.stop('SIGKILL');
    cleanup(dir);
  });

  test('two clients sync through it and go online with nothing pending', async () => {
    const url = `${relay.url}/v1/docs/board-1`;
    const a = new Document();
    const b = new Document();
    const ca = connect(a, url, fast);
    const cb = connect(b, url, fast);
    a.set(['title'], 'hello');
    await until(() => b.get(['title']) === 'hello', "b sees a's write");
    b.increment(['count'], 2);
    await until(() => a.get(['count']) === 2, "a sees b's write");
    await until(() => ca.status.state === 'online' && cb.status.state === 'online', 'both online');
    assert.equal(ca.status.pending, 0);
    assert.ok(ca.status.lastSyncAt > 0);
    ca.close();
    cb.close();
  });

  test('a relay killed mid-session: acknowledged writes survive, offline edits on both sides merge', async () => {
    const url = `${relay.url}/v1/docs/board-2`;
    const a = new Document();
    const b = new Document();
    const ca = connect(a, url, fast);
    const cb = connect(b, url, fast);
    a.set(['acked'], 'before the kill');
    await until(() => ca.status.state === 'online' && ca.status.pending === 0, "the relay acked a's write");
    await relay.stop('SIGKILL');
    await until(() => ca.status.state === 'offline' && cb.status.state === 'offline', 'both see the relay gone');
    a.set(['x'], 'a offline');
    b.set(['x'], 'b offline');
    relay = await startRelay({ data: dir, listen: relay.address });
    // Equal winners alone are not convergence: one side may hold both siblings while
    // the other still holds only its own write, which happens to be the winner.
    await until(
      () =>
        a.read(['x']).siblings.length === 2 &&
        b.read(['x']).siblings.length === 2 &&
        ca.status.state === 'online' &&
        cb.status.state === 'online',
      'both reconnect and hold both offline writes',
    );
    assert.equal(b.get(['acked']), 'before the kill');
    assert.deepEqual(a.toJSON(), b.toJSON());
    // A fresh client gets everything from the restarted relay's storage.
    const c = new Document();
    const cc = connect(c, url, fast);
    await until(() => c.get(['x']) === a.get(['x']), 'a new client loads the state');
    assert.equal(c.get(['acked']), 'before the kill');
    for (const conn of [ca, cb, cc]) conn.close();
  });

  test('a client restored from saved bytes resumes with its sync token: a delta, not the full state', async () => {
    const url = `${relay.url}/v1/docs/board-3`;
    const writer = new Document();
    for (let i = 0; i < 200; i++) writer.set(['rows', `r${i}`], 'x'.repeat(40));
    const cw = connect(writer, url, fast);
    await until(() => cw.status.state === 'online', 'the writer is online');
    // The relay forgets a client when its socket closes and drops the deltas every
    // client it knows acknowledged; a laggard client (acknowledges the first state,
    // then nothing) keeps the interval buffered, as any slower client would.
    const laggard = new Document();
    const raw = new WebSocket(url);
    raw.binaryType = 'arraybuffer';
    let laggardAcked = false;
    raw.on('message', (data) => {
      if (laggardAcked) return;
      const { reply } = laggard.receive(new Uint8Array(data));
      if (reply) raw.send(reply);
      laggardAcked = true;
    });
    await new Promise((resolve) => raw.on('open', resolve));
    raw.send(laggard.hello(RELAY_PEER_ID));
    await until(() => laggardAcked, 'the laggard acknowledged the state');
    const reader = new Document();
    let cr = connect(reader, url, fast);
    await until(() => reader.get(['rows', 'r199']) !== undefined, 'the reader loads the document');
    await until(() => cr.status.state === 'online', 'the reader is online');
    const bytes = reader.save();
    const token = cr.syncToken();
    assert.ok(token, 'a sync token for the relay');
    cr.close();
    writer.set(['rows', 'r0'], 'changed');
    await until(() => cw.status.pending === 0 && cw.status.state === 'online', 'the relay has the change');
    const restored = Document.restore(bytes);
    const before = restored.metrics();
    cr = connect(restored, url, { ...fast, syncToken: token });
    await until(() => restored.get(['rows', 'r0']) === 'changed', 'the restored reader catches up');
    const after = restored.metrics();
    assert.equal(after.fullStatesReceived, before.fullStatesReceived, 'no full transfer');
    assert.ok(after.deltasReceived > before.deltasReceived);
    cr.close();
    cw.close();
    raw.close();
  });

  test('a persisted (durable) replica sends its writes once saved, and keeps its writer id', async () => {
    const url = `${relay.url}/v1/docs/board-4`;
    const store = memoryStore();
    const p = await persist(Document, 'board-4', { store });
    const c = connect(p.doc, url, { ...fast, persisted: p });
    const observer = new Document();
    const co = connect(observer, url, fast);
    p.doc.set(['saved'], true);
    await until(() => observer.get(['saved']) === true, 'the write went out after its save');
    const writer = p.doc.writerId;
    c.close();
    await p.close();
    const again = await persist(Document, 'board-4', { store });
    assert.equal(again.doc.writerId, writer);
    const c2 = connect(again.doc, url, { ...fast, persisted: again });
    again.doc.set(['second'], 2);
    await until(() => observer.get(['second']) === 2, 'the reloaded replica syncs');
    assert.deepEqual(Object.keys(observer.version()).sort(), [writer].sort(), 'one writer id across the reload');
    c2.close();
    co.close();
    await again.close();
  });
});

describe('the relay client and auth', () => {
  const secret = 'a test secret';
  let dir;
  let relay;
  before(async () => {
    dir = dataDir();
    relay = await startRelay({ data: dir, env: { CONVERGE_RELAY_SECRET: secret } });
  });
  after(async () => {
    await relay?.stop('SIGKILL');
    cleanup(dir);
  });

  test('a bad token stops the client with reason bad-token; a good one syncs; a read-only write closes 4403', async () => {
    const url = `${relay.url}/v1/docs/team/board`;
    const exp = Math.floor(Date.now() / 1000) + 3600;
    const bad = connect(new Document(), url, { ...fast, token: jwt('wrong secret', { docs: ['*'], scope: 'write', exp }) });
    await until(() => bad.status.stopped, 'the client stops');
    assert.equal(bad.status.reason, 'bad-token');
    assert.equal(bad.status.closeCode, 4401);
    const doc = new Document();
    const good = connect(doc, url, { ...fast, token: jwt(secret, { docs: ['team/*'], scope: 'write', exp }) });
    doc.set(['ok'], 1);
    await until(() => good.status.state === 'online' && good.status.pending === 0, 'the write is acknowledged');
    const reader = new Document();
    const ro = connect(reader, url, { ...fast, token: jwt(secret, { docs: ['team/board'], scope: 'read', exp }) });
    await until(() => reader.get(['ok']) === 1, 'a reader receives');
    reader.set(['sneaky'], 1);
    await until(() => ro.status.stopped, 'the read-only write closes the connection');
    assert.equal(ro.status.reason, 'read-only');
    assert.equal(doc.get(['sneaky']), undefined);
    for (const c of [bad, good, ro]) c.close();
  });
});

