// converge-crdt/relay's client against a fake socket and a manual clock (no real
// time passes): backoff with full jitter, the circuit breaker, close codes, status
// events, and a sync through an in-process "relay" replica; and the persistence
// helper over an in-memory store: 1,000 reloads add at most one writer id.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { converge } from './helpers.mjs';
import { fakeSockets, manualClock, pump } from './fake-relay.mjs';

const relay = await import(fileURLToPath(new URL('../../wasm/npm/dist/relay.js', import.meta.url)));
const { RELAY_PEER_ID, backoffDelay, connect, memoryStore, persist } = relay;
const { Document } = converge;


describe('backoff', () => {
  test('full jitter: uniform below a ceiling that doubles from minDelayMs up to maxDelayMs', () => {
    const top = () => 0.999999;
    const ceilings = [0, 1, 2, 3, 4, 5, 10, 60].map((a) => backoffDelay(a, 100, 5000, top));
    assert.deepEqual(ceilings, [99, 199, 399, 799, 1599, 3199, 4999, 4999]);
    assert.equal(backoffDelay(7, 100, 5000, () => 0), 0);
    assert.equal(backoffDelay(3, 100, 5000, () => 0.5), 400);
  });
});

describe('the relay client with a fake socket', () => {
  test('a dead relay: backoff attempts, then the breaker opens and tells the UI, then one probe', () => {
    const clock = manualClock();
    const { FakeSocket, sockets } = fakeSockets();
    const statuses = [];
    const doc = new Document();
    const conn = connect(doc, 'ws://relay.test/v1/docs/board', {
      WebSocket: FakeSocket,
      minDelayMs: 100,
      maxDelayMs: 1000,
      breakerThreshold: 4,
      breakerCooldownMs: 60_000,
      random: () => 0.999999,
      setTimer: clock.setTimer,
      clearTimer: clock.clearTimer,
      now: () => clock.now,
      onStatus: (s) => statuses.push(s),
      watchNetwork: false,
    });
    assert.equal(conn.status.state, 'connecting');
    const delays = [];
    for (let i = 0; i < 4; i++) {
      sockets.at(-1).serverClose(1006);
      delays.push(clock.fire());
    }
    // Three backoffs (100, 200, 400 ceilings), then the cooldown.
    assert.deepEqual(delays, [99, 199, 399, 60_000]);
    const open = statuses.find((s) => s.breaker === 'open');
    assert.ok(open, 'the UI heard the breaker open');
    assert.equal(open.state, 'offline');
    assert.equal(open.failures, 4);
    assert.equal(open.nextRetryAt, 99 + 199 + 399 + 60_000);
    // The probe (half-open) fails: open again, another cooldown, no hammering.
    assert.equal(conn.status.breaker, 'half-open');
    sockets.at(-1).serverClose(1006);
    assert.equal(conn.status.breaker, 'open');
    assert.equal(clock.timers[0].ms, 60_000);
    assert.equal(sockets.length, 5);
    // A probe that reaches the relay closes the breaker.
    clock.fire();
    const hub = new Document(RELAY_PEER_ID);
    sockets.at(-1).serverOpen();
    pump(sockets.at(-1), hub);
    assert.equal(conn.status.breaker, 'closed');
    assert.equal(conn.status.failures, 0);
    conn.close();
  });

  test('syncs through the relay peer: hello first, writes flushed, online with pending 0 and a sync time', async () => {
    const clock = manualClock();
    const { FakeSocket, sockets } = fakeSockets();
    const doc = new Document();
    const hub = new Document(RELAY_PEER_ID);
    hub.set(['title'], 'from the relay');
    const statuses = [];
    const conn = connect(doc, 'ws://relay.test/v1/docs/board', {
      WebSocket: FakeSocket,
      token: 'jwt.value',
      setTimer: clock.setTimer,
      clearTimer: clock.clearTimer,
      now: () => clock.now,
      onStatus: (s) => statuses.push(s.state),
      watchNetwork: false,
    });
    const socket = sockets[0];
    assert.equal(socket.url, 'ws://relay.test/v1/docs/board?token=jwt.value');
    clock.now = 5;
    socket.serverOpen();
    // The client speaks first: a hello (then its state, which the relay lacks).
    assert.deepEqual(socket.sent[0], doc.hello(RELAY_PEER_ID));
    pump(socket, hub);
    assert.equal(doc.get(['title']), 'from the relay');
    assert.equal(conn.status.state, 'online');
    assert.equal(conn.status.lastSyncAt, 5);
    // A local write goes out in the change event's microtask.
    doc.set(['title'], 'from the client');
    await Promise.resolve();
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(conn.status.pending > 0, true);
    assert.equal(conn.status.state, 'syncing');
    pump(socket, hub);
    assert.equal(hub.get(['title']), 'from the client');
    assert.equal(conn.status.state, 'online');
    assert.deepEqual([...new Set(statuses)], ['connecting', 'syncing', 'online']);
    // The Offline button: the socket closes and nothing reconnects.
    conn.disconnect();
    assert.equal(socket.closed, 1000);
    assert.equal(conn.status.state, 'offline');
    assert.equal(conn.status.stopped, true);
    assert.equal(clock.timers.length, 0);
    conn.reconnect();
    assert.equal(sockets.length, 2);
    conn.close();
  });

  test('close codes: fatal ones stop, transient ones back off, 1012 restarts from the first delay', () => {
    for (const [code, reason] of [
      [4400, 'bad-frame'],
      [4403, 'read-only'],
      [4404, 'bad-document'],
      [4413, 'frame-too-large'],
      [4401, 'bad-token'],
    ]) {
      const clock = manualClock();
      const { FakeSocket, sockets } = fakeSockets();
      const conn = connect(new Document(), 'ws://r/v1/docs/d', {
        WebSocket: FakeSocket,
        token: 'static',
        setTimer: clock.setTimer,
        clearTimer: clock.clearTimer,
        watchNetwork: false,
      });
      sockets[0].serverOpen();
      sockets[0].serverClose(code);
      assert.equal(conn.status.reason, reason, `${code}`);
      assert.equal(conn.status.stopped, true, `${code}`);
      assert.equal(conn.status.closeCode, code);
      assert.equal(clock.timers.length, 0, `${code} schedules no retry`);
      conn.close();
    }
    for (const code of [1006, 1012, 4408, 4429, 4430, 4431, 4503]) {
      const clock = manualClock();
      const { FakeSocket, sockets } = fakeSockets();
      const conn = connect(new Document(), 'ws://r/v1/docs/d', {
        WebSocket: FakeSocket,
        minDelayMs: 100,
        random: () => 0.5,
        setTimer: clock.setTimer,
        clearTimer: clock.clearTimer,
        watchNetwork: false,
      });
      sockets[0].serverClose(code);
      clock.fire();
      sockets[1].serverClose(code);
      assert.equal(conn.status.stopped, false, `${code}`);
      // A restart is no failure: every retry waits the first delay.
      assert.equal(clock.timers[0].ms, code === 1012 ? 50 : 100, `${code}`);
      conn.close();
    }
  });

  test('a refused token is never sent again; a token function may give a fresh one', async () => {
    const clock = manualClock();
    const { FakeSocket, sockets } = fakeSockets();
    const tokens = ['old', 'old', 'new'];
    const conn = connect(new Document(), 'ws://r/v1/docs/d', {
      WebSocket: FakeSocket,
      token: () => tokens.shift(),
      setTimer: clock.setTimer,
      clearTimer: clock.clearTimer,
      watchNetwork: false,
    });
    sockets[0].serverClose(4401);
    clock.fire();
    // The function gave the refused token again: stop and tell the UI.
    assert.equal(sockets.length, 1);
    assert.equal(conn.status.reason, 'bad-token');
    assert.equal(conn.status.stopped, true);
    conn.reconnect();
    assert.equal(sockets.length, 2);
    assert.match(sockets[1].url, /token=new$/);
    conn.close();
  });

  test('frames the replica refuses count as failures: the breaker opens instead of a reconnect loop', () => {
    const clock = manualClock();
    const { FakeSocket, sockets } = fakeSockets();
    const conn = connect(new Document(), 'ws://r/v1/docs/d', {
      WebSocket: FakeSocket,
      breakerThreshold: 3,
      random: () => 0.5,
      setTimer: clock.setTimer,
      clearTimer: clock.clearTimer,
      watchNetwork: false,
    });
    for (let i = 0; i < 3; i++) {
      const socket = sockets.at(-1);
      socket.serverOpen();
      socket.serverSend(new Uint8Array([1, 2, 3, 4]));
      assert.equal(socket.closed, 4400, 'the client closes a relay that sends garbage');
      assert.match(conn.status.reason, /^error: ERR_/);
      assert.equal(conn.status.failures, i + 1);
      clock.fire();
    }
    assert.equal(sockets.length, 4);
    assert.equal(clock.timers.length, 0);
    conn.close();
  });

  test('what was sent on this socket and not yet acknowledged is not sent again; a new socket starts over', async () => {
    const clock = manualClock();
    const { FakeSocket, sockets } = fakeSockets();
    const doc = new Document();
    const hub = new Document(RELAY_PEER_ID);
    const conn = connect(doc, 'ws://r/v1/docs/d', {
      WebSocket: FakeSocket,
      setTimer: clock.setTimer,
      clearTimer: clock.clearTimer,
      watchNetwork: false,
    });
    sockets[0].serverOpen();
    pump(sockets[0], hub);
    assert.equal(conn.status.state, 'online');
    doc.set(['a'], 1);
    conn.flush();
    assert.equal(sockets[0].sent.length, 1, 'the write goes out once');
    conn.flush();
    conn.flush();
    assert.equal(sockets[0].sent.length, 1, 'and is not resent while it waits for its ack');
    doc.set(['b'], 2);
    conn.flush();
    assert.equal(sockets[0].sent.length, 2, 'a new write goes out');
    // The socket drops before the acks: the next socket sends everything again.
    sockets[0].sent.length = 0;
    sockets[0].serverClose(1006);
    clock.fire();
    sockets[1].serverOpen();
    pump(sockets[1], hub);
    assert.equal(hub.get(['a']), 1);
    assert.equal(hub.get(['b']), 2);
    assert.equal(conn.status.state, 'online');
    await new Promise((resolve) => setImmediate(resolve));
    conn.close();
  });

  test('no WebSocket: a coded error saying to pass ws', () => {
    assert.throws(
      () => connect(new Document(), 'ws://r/v1/docs/d', { WebSocket: null }),
      (e) => e.code === 'ERR_NO_WEBSOCKET' && /ws package/.test(e.message),
    );
  });
});

describe('persistence', () => {
  test('1,000 reloads of one profile add at most one writer id; crashes before a save lose only unsent writes', async () => {
    const store = memoryStore();
    const hub = new Document(RELAY_PEER_ID);
    const writers = new Set();
    for (let reload = 0; reload < 1000; reload++) {
      const saved = await persist(Document, 'board', { store });
      const doc = saved.doc;
      writers.add(doc.writerId);
      doc.set(['reload'], reload);
      // Nothing goes out before the save: the write waits.
      assert.equal(doc.messageFor(RELAY_PEER_ID), undefined);
      if (reload % 5 === 4) continue; // crash before the change event's save
      await new Promise((resolve) => setImmediate(resolve));
      await saved.save();
      const m = doc.messageFor(RELAY_PEER_ID);
      assert.ok(m, 'sent once saved');
      const reply = hub.receive(m).reply;
      if (reply) doc.receive(reply);
      await saved.close();
    }
    assert.equal(writers.size, 1);
    assert.deepEqual(Object.keys(hub.version()).length, 1);
    assert.equal(hub.get(['reload']), 998);
  });

  test('a second tab without the lock restores with a fresh writer and saves nothing', async () => {
    const store = memoryStore();
    const first = await persist(Document, 'board', { store });
    first.doc.set(['a'], 1);
    await first.save();
    // A lock manager that the first tab holds.
    const locks = { request: (_name, _options, callback) => callback(null) };
    const second = await persist(Document, 'board', { store, locks });
    assert.equal(second.primary, false);
    assert.notEqual(second.doc.writerId, first.doc.writerId);
    assert.equal(second.doc.get(['a']), 1);
    second.doc.set(['b'], 2);
    await second.save();
    const again = await persist(Document, 'board', { store });
    assert.equal(again.doc.get(['b']), undefined, 'the second tab saved nothing');
    assert.equal(again.doc.writerId, first.doc.writerId);
  });
});
