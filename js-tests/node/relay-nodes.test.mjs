// converge-crdt/relay with several relay URLs (relay nodes serving the same document):
// with a fake socket and a manual clock, the URL order, the backoff and the breaker
// across nodes, and the current URL in the status; with two real relay processes
// (SQLite, so they share no state), a client whose node is SIGKILLed moves to the
// other one and goes online there; with three nodes over one Redis, a client whose
// node is SIGKILLed moves on and resumes with a delta, losing no acknowledged write.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { converge } from './helpers.mjs';
import { buildRelay, cleanup, dataDir, haveRedis, startRedis, startRelay, until } from './relay-helpers.mjs';
import { fakeSockets, manualClock, pump } from './fake-relay.mjs';

const { RELAY_PEER_ID, connect } = await import(
  fileURLToPath(new URL('../../wasm/npm/dist/relay.js', import.meta.url))
);
const { Document } = converge;


const nodes = ['ws://n1/v1/docs/d', 'ws://n2/v1/docs/d', 'ws://n3/v1/docs/d'];

describe('several relay URLs, with a fake socket', () => {
  test('the first URL first, then round robin on each failure; backoff and breaker count across nodes', () => {
    const clock = manualClock();
    const { FakeSocket, sockets } = fakeSockets();
    const conn = connect(new Document(), nodes, {
      WebSocket: FakeSocket,
      token: 'jwt',
      minDelayMs: 100,
      maxDelayMs: 1000,
      breakerThreshold: 5,
      breakerCooldownMs: 60_000,
      random: () => 0.999999,
      setTimer: clock.setTimer,
      clearTimer: clock.clearTimer,
      now: () => clock.now,
      watchNetwork: false,
    });
    assert.equal(conn.status.url, nodes[0]);
    const delays = [];
    for (let i = 0; i < 5; i++) {
      sockets.at(-1).serverClose(1006);
      // The status names the node dialled next while it waits.
      assert.equal(conn.status.url, nodes[(i + 1) % 3]);
      delays.push(clock.fire());
    }
    assert.deepEqual(
      sockets.map((s) => s.url),
      [0, 1, 2, 0, 1, 2].map((i) => `${nodes[i]}?token=jwt`),
    );
    // One backoff sequence across the nodes (not one per node), then the breaker opens
    // after 5 failures in a row, wherever they happened.
    assert.deepEqual(delays, [99, 199, 399, 799, 60_000]);
    assert.equal(conn.status.breaker, 'half-open');
    assert.equal(conn.status.failures, 5);
    conn.close();
  });

  test('a node that dies after working: the next node at once (first delay), resuming with the replica state', () => {
    const clock = manualClock();
    const { FakeSocket, sockets } = fakeSockets();
    const doc = new Document();
    const hub = new Document(RELAY_PEER_ID);
    hub.set(['title'], 'on the shared bus');
    const conn = connect(doc, nodes.slice(0, 2), {
      WebSocket: FakeSocket,
      minDelayMs: 100,
      random: () => 0.5,
      setTimer: clock.setTimer,
      clearTimer: clock.clearTimer,
      now: () => clock.now,
      watchNetwork: false,
    });
    sockets[0].serverOpen();
    pump(sockets[0], hub);
    assert.equal(conn.status.state, 'online');
    assert.equal(conn.status.url, nodes[0]);
    doc.set(['offline'], 'written while moving');
    // Node 1 dies (a 1006, as after a SIGKILL): node 2 is dialled after the first delay.
    sockets[0].serverClose(1006);
    assert.equal(conn.status.state, 'offline');
    assert.equal(conn.status.url, nodes[1]);
    assert.equal(clock.fire(), 50);
    assert.equal(sockets[1].url, nodes[1]);
    sockets[1].serverOpen();
    // The first frame to node 2 is a hello carrying what the replica holds of the relay
    // (the same as resume(syncToken) would send), not a bare first contact.
    assert.deepEqual(sockets[1].sent[0], doc.hello(RELAY_PEER_ID));
    pump(sockets[1], hub);
    assert.equal(hub.get(['offline']), 'written while moving');
    assert.equal(conn.status.state, 'online');
    assert.equal(conn.status.failures, 0);
    // Node 2 drains (1012): back to node 1, round robin.
    sockets[1].serverClose(1012);
    assert.equal(conn.status.url, nodes[0]);
    conn.close();
  });

  test('a fatal close stops on the node that refused; reconnect() retries that node', () => {
    const clock = manualClock();
    const { FakeSocket, sockets } = fakeSockets();
    const conn = connect(new Document(), nodes, {
      WebSocket: FakeSocket,
      setTimer: clock.setTimer,
      clearTimer: clock.clearTimer,
      watchNetwork: false,
    });
    sockets[0].serverClose(1006);
    clock.fire();
    sockets[1].serverOpen();
    sockets[1].serverClose(4404);
    assert.equal(conn.status.stopped, true);
    assert.equal(conn.status.reason, 'bad-document');
    assert.equal(conn.status.url, nodes[1]);
    conn.reconnect();
    assert.equal(sockets[2].url, nodes[1]);
    conn.close();
  });

  test('one URL (a load balancer) is retried as before; bad URL lists are coded errors', () => {
    const clock = manualClock();
    const { FakeSocket, sockets } = fakeSockets();
    const conn = connect(new Document(), { href: 'ws://lb/v1/docs/d' }, {
      WebSocket: FakeSocket,
      setTimer: clock.setTimer,
      clearTimer: clock.clearTimer,
      watchNetwork: false,
    });
    sockets[0].serverClose(1006);
    clock.fire();
    assert.deepEqual(
      sockets.map((s) => s.url),
      ['ws://lb/v1/docs/d', 'ws://lb/v1/docs/d'],
    );
    assert.equal(conn.status.url, 'ws://lb/v1/docs/d');
    conn.close();
    for (const bad of [[], ['ws://a/v1/docs/d', 42], [''], null, 7]) {
      assert.throws(
        () => connect(new Document(), bad, { WebSocket: FakeSocket }),
        (e) => e.code === 'ERR_INVALID_ARGUMENT' && /array of them/.test(e.message),
        JSON.stringify(bad),
      );
    }
  });
});

const fast = { WebSocket, minDelayMs: 20, maxDelayMs: 200, watchNetwork: false };

describe('several relay URLs, with two real relay processes', () => {
  const dirs = [];
  const relays = [];
  before(async () => {
    buildRelay();
    for (let i = 0; i < 2; i++) {
      dirs.push(dataDir());
      relays.push(await startRelay({ data: dirs[i] }));
    }
  });
  after(async () => {
    for (const relay of relays) await relay.stop('SIGKILL');
    for (const dir of dirs) cleanup(dir);
  });

  test('the first node SIGKILLed: the client moves to the second, goes online and its writes are acknowledged there', async () => {
    const urls = relays.map((r) => `${r.url}/v1/docs/moving`);
    const doc = new Document();
    const conn = connect(doc, urls, fast);
    doc.set(['first'], 1);
    await until(() => conn.status.state === 'online' && conn.status.pending === 0, 'online on node 1');
    assert.equal(conn.status.url, urls[0]);
    await relays[0].stop('SIGKILL');
    await until(() => conn.status.url === urls[1] && conn.status.state === 'online', 'online on node 2');
    doc.set(['second'], 2);
    await until(() => conn.status.pending === 0 && conn.status.state === 'online', 'node 2 acknowledged');
    // Node 2 (its own storage: SQLite nodes share nothing) now holds the replica's
    // state, both writes, as a fresh client there sees.
    const fresh = new Document();
    const other = connect(fresh, urls[1], fast);
    await until(() => fresh.get(['second']) === 2, 'a client of node 2 sees the second write');
    assert.equal(fresh.get(['first']), 1);
    conn.close();
    other.close();
  });
});

describe('several relay nodes over one Redis', { skip: !haveRedis() && 'redis-server is missing (apt-get install redis-server)' }, () => {
  let redis;
  const nodes = [];
  before(async () => {
    buildRelay();
    redis = await startRedis();
    for (const name of ['node-1', 'node-2', 'node-3']) nodes.push(await startNode(name));
  });
  after(async () => {
    for (const node of nodes) await node.stop('SIGKILL');
    await redis?.stop();
  });
  const startNode = (name) => startRelay({ args: ['--redis', redis.url, '--node-name', name] });

  /**
   * A client on node 1 of `urls` over a document a writer on node 3 filled; node 1
   * acknowledges 5 of its writes, then is SIGKILLed while the client writes again.
   * Resolves with what the checks need once the client is online on node 2.
   */
  async function moveAfterKill(docName) {
    if (nodes[0].process.exitCode !== null || nodes[0].process.signalCode !== null) {
      nodes[0] = await startNode('node-1'); // killed by an earlier test
    }
    const urls = nodes.map((n) => `${n.url}/v1/docs/${docName}`);
    // A writer on node 3 gives the document a state worth not resending.
    const writer = new Document();
    const cw = connect(writer, urls[2], fast);
    for (let i = 0; i < 200; i++) writer.set(['rows', `r${i}`], 'x'.repeat(40));
    await until(() => cw.status.state === 'online' && cw.status.pending === 0, 'node 3 acknowledged the rows');
    const doc = new Document();
    const conn = connect(doc, urls, fast);
    await until(
      () => doc.get(['rows', 'r199']) !== undefined && conn.status.state === 'online',
      'the client loads the document on node 1',
    );
    assert.equal(conn.status.url, urls[0]);
    const acked = [];
    for (let i = 0; i < 5; i++) {
      doc.set(['acked', `a${i}`], i);
      await until(() => conn.status.pending === 0 && conn.status.state === 'online', `node 1 acknowledged a${i}`);
      acked.push(`a${i}`);
    }
    const before = doc.metrics();
    await nodes[0].stop('SIGKILL');
    doc.set(['moved'], 'while moving'); // its node is dead: sent to the next one
    writer.set(['rows', 'r0'], 'changed while the client moved');
    await until(
      () => conn.status.url === urls[1] && conn.status.state === 'online' && conn.status.pending === 0,
      'the client is online on node 2 with nothing pending',
    );
    await until(() => doc.get(['rows', 'r0']) === 'changed while the client moved', 'the client sees the change made on node 3');
    return { writer, cw, doc, conn, acked, before, after: doc.metrics() };
  }

  test('a client whose node is SIGKILLed moves to the next node; no acknowledged write is lost', async (t) => {
    const { writer, cw, doc, conn, acked, before, after } = await moveAfterKill('cluster-board');
    // Every write node 1 acknowledged, and the one made during the move, reached node 3.
    await until(() => writer.get(['moved']) === 'while moving', "node 3's client sees the write made during the move");
    const lost = acked.filter((k) => writer.get(['acked', k]) === undefined);
    t.diagnostic(
      `acknowledged writes ${acked.length + 1}, lost ${lost.length}; full states received ` +
        `across the move: ${after.fullStatesReceived - before.fullStatesReceived}`,
    );
    assert.deepEqual(lost, []);
    await until(() => JSON.stringify(doc.toJSON()) === JSON.stringify(writer.toJSON()), 'both clients converge');
    conn.close();
    cw.close();
  });

  // The hubs of one document on every node speak as one sync session (the
  // document's epoch kept in Redis, sequence numbers = stream positions), so the
  // hello a moved client sends names a session node 2 has too: it answers with
  // the delta since the client's token, not the full state.
  test('a moved client resumes with a delta, not the full state', async (t) => {
    const { writer, cw, doc, conn, acked, before, after } = await moveAfterKill('cluster-board-2');
    t.diagnostic(`full states received across the move: ${after.fullStatesReceived - before.fullStatesReceived}`);
    assert.equal(after.fullStatesReceived, before.fullStatesReceived, 'resumed with a delta, not the full state');
    await until(() => writer.get(['moved']) === 'while moving', "node 3's client sees the write made during the move");
    assert.deepEqual(acked.filter((k) => writer.get(['acked', k]) === undefined), [], 'no acknowledged write lost');
    await until(() => JSON.stringify(doc.toJSON()) === JSON.stringify(writer.toJSON()), 'both clients converge');
    conn.close();
    cw.close();
  });
});
