// The booking board: starts this tab's replicas (two side by side by default, or
// ?replicas=N) from IndexedDB, or new ones, and shows a card for each. Every tab of
// this page is more replicas of the same board; they all sync through the relay that
// serves the page (`make demo`), as replicas in other browsers do.

import './style.css';
import { replicaCard } from './card.js';
import { claimReplicas } from './claims.js';
import { openStore } from './persistence.js';
import { BoardReplica } from './replica.js';
import { playScenario } from './scenario.js';

async function start() {
  const wanted = Math.min(4, Math.max(1, Number(new URLSearchParams(location.search).get('replicas') ?? 2) || 2));
  const store = await openStore();
  const records = await claimReplicas(store, wanted, async (label, seed) => {
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
