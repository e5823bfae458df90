// One replica's card: its status line (online switch, queue depth, traffic, sync lag,
// conflicts met), then its board, inbox, chart, audit log, field policies, and what
// the policies did and refused.

import { auditView } from './audit-view.js';
import { chartView } from './chart.js';
import { ago, bytes, h } from './dom.js';
import { holdsView } from './holds-view.js';
import { inboxView } from './inbox.js';
import { outcomesView } from './outcomes-view.js';
import { policiesView } from './policies-view.js';

function stat(name, label) {
  const value = h('b', { 'data-stat': name });
  return { element: h('span', { class: 'stat' }, `${label} `, value), value };
}

/** Builds the card of `replica` and keeps it up to date. */
export function replicaCard(replica) {
  const toggle = h('button', { class: 'toggle', 'data-action': 'toggle-online', onclick: () => replica.setOnline(!replica.online) });
  const stats = {
    pending: stat('pending', 'pending deltas'),
    sent: stat('sent', 'sent'),
    received: stat('received', 'received'),
    sync: stat('last-sync', 'last sync'),
    met: stat('conflicts', 'conflicts met'),
    relay: stat('relay', 'relay'),
  };
  const saved = h('span', { class: 'hint', 'data-role': 'saved' });
  // Each section with the top-level document keys it shows (none: it shows replica
  // state besides the document, and redraws on every change).
  const parts = [
    [holdsView(replica), ['holds', 'replicas', 'policy']],
    [inboxView(replica), ['holds', 'replicas', 'policy']],
    [chartView(replica), null],
    [auditView(replica), ['audit']],
    [policiesView(replica), ['policy', 'replicas']],
    [outcomesView(replica), null],
  ];
  const sections = parts.map(([section]) => section);
  const drawn = new Map(); // section -> the generations of its keys when last drawn
  const element = h(
    'article',
    { class: 'replica', 'data-replica': replica.label, 'data-replica-id': replica.id },
    h('header', {},
      h('h2', {}, `Replica ${replica.label}`, h('span', { class: 'hint' }, ` id ${replica.id}`)),
      toggle),
    h('div', { class: 'stats' }, Object.values(stats).map((x) => x.element), saved),
    sections.map((x) => x.element),
  );

  function update() {
    const totals = replica.totals();
    element.classList.toggle('offline', !replica.online);
    element.dataset.online = String(replica.online);
    toggle.textContent = replica.online ? '● Online — go offline' : '○ Offline — go online';
    stats.pending.value.textContent = String(replica.outbox.length);
    stats.pending.element.title = replica.outbox.length
      ? `not yet acknowledged by every peer: ${replica.outbox.map((e) => e.what).join(', ')}`
      : 'every write acknowledged';
    stats.sent.value.textContent = bytes(totals.bytesSent);
    stats.received.value.textContent = bytes(totals.bytesReceived);
    stats.sync.value.textContent = ago(replica.lastSyncAt);
    stats.met.value.textContent = String(totals.conflicts);
    // The relay connection: online (everything acknowledged), syncing, connecting
    // (also while the relay is down or restarting: it retries with backoff), or
    // offline (the switch).
    const status = replica.connection.status;
    const live = status.state === 'online' || status.state === 'syncing';
    stats.relay.value.textContent = !replica.online || status.stopped ? 'offline' : live ? status.state : 'connecting';
    stats.relay.element.title = status.breaker === 'open'
      ? 'the relay is unreachable: retrying in a minute'
      : status.reason ?? '';
    saved.dataset.saves = String(replica.saves);
    saved.dataset.savedQueue = String(replica.savedQueue);
    saved.textContent = replica.saveError ? `not saved: ${replica.saveError.message}` : replica.saves ? 'saved in IndexedDB' : '';
    // Only the sections whose part of the document changed since they were drawn
    // (the document's change events count the changes: see BoardReplica.docChanged).
    for (const [section, keys] of parts) {
      if (keys === null) {
        section.update();
        continue;
      }
      const stamp = keys.map((k) => replica.generations.get(k) ?? 0).join(':');
      if (drawn.get(section) === stamp) continue;
      drawn.set(section, stamp);
      section.update();
    }
  }

  let scheduled = false;
  replica.addEventListener('change', () => {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(() => {
      scheduled = false;
      update();
    });
  });
  update();
  return element;
}
