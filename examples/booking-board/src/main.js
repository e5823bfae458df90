// The booking board: starts this tab's replicas (two side by side by default, or
// ?replicas=N) from IndexedDB, or new ones, and shows a card for each. Every tab of
// this page is more replicas of the same board; they all sync through the relay that
// serves the page (`make demo`), as replicas in other browsers do.

import './style.css';
import { replicaCard } from './card.js';
import { claimReplicas, labelFor } from './claims.js';
import { openStore } from './persistence.js';
import { BoardReplica, RELAY_URL } from './replica.js';
import { Document } from 'converge-crdt';
import { connect } from 'converge-crdt/relay';
import { playScenario } from './scenario.js';

/**
 * How many replicas the board on the relay lists (0 if the relay is new, or cannot be
 * reached within a few seconds: then this profile starts the board).
 */
async function boardOnRelay() {
  const probe = new Document();
  const connection = connect(probe, RELAY_URL, { minDelayMs: 100, maxDelayMs: 500 });
  await new Promise((resolve) => {
    const timer = setTimeout(resolve, 3000);
    connection.subscribe((status) => {
      if (status.state === 'online' || status.stopped || status.failures >= 3) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  const replicas = Object.keys(probe.get(['replicas']) ?? {}).length;
  connection.close();
  probe.free();
  return { replicas };
}

async function start() {
  const wanted = Math.min(4, Math.max(1, Number(new URLSearchParams(location.search).get('replicas') ?? 2) || 2));
  const store = await openStore();
  // A profile that has no replica yet asks the relay what the board holds: another
  // browser may have started it (then this one neither seeds it nor reuses a label).
  let remote = null;
  let created = 0;
  const records = await claimReplicas(store, wanted, async (label, seed) => {
    remote ??= await boardOnRelay();
    if (remote.replicas > 0) {
      label = labelFor(remote.replicas + created);
      seed = false;
    }
    created++;
    const record = BoardReplica.createRecord(label, seed);
    await store.put(record);
    return record;
  });
  const replicas = records.map((record) => new BoardReplica(record, store));
  const show = document.getElementById('show-me');
  if (replicas.length >= 2) {
    show.hidden = false;
    show.onclick = async () => {
      show.disabled = true;
      await playScenario(replicas[0], replicas[1]);
      show.disabled = false;
    };
  }
  const cards = document.getElementById('replicas');
  cards.dataset.count = String(replicas.length);
  cards.replaceChildren(...replicas.map(replicaCard));
  document.title = `Booking board — replica${replicas.length > 1 ? 's' : ''} ${replicas.map((r) => r.label).join(', ')}`;
  // For tests and curious people in the console.
  globalThis.board = { replicas };
  document.body.dataset.ready = '1';
}

start().catch((error) => {
  document.getElementById('replicas').textContent = `The board could not start: ${error.message}`;
  console.error(error);
});
