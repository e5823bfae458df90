// One replica of the board: a converge Document, its link to the relay (a WebSocket
// through converge-crdt/relay's connect), an online/offline switch, the queue of deltas written but not yet acknowledged,
// and its saved copy in IndexedDB. Everything the UI shows about a replica comes from
// here; every change fires a 'change' event. What changed in the document comes from
// the Document's own change events (`doc.subscribe`): `generations` counts the
// changes per top-level key, so the views redraw only the parts that changed, and the
// read policies are re-read only when the policy settings change.
//
// Sync goes through the relay (crates/relay; `make demo` serves this app from it):
// every replica is a client of the relay's hub replica, which forwards each write to
// the other replicas (in this tab, other tabs, other browsers) once it has committed it
// to SQLite. The connection speaks converge's session API (`hello`, `messageFor`,
// `receive`), reconnects with backoff when the relay restarts, and reports its status.
// Offline (the switch) closes the socket; writes wait in the replica's buffer, and the
// outbox below lists them until the relay acknowledges them.

import { Document } from 'converge-crdt';
import { connect, RELAY_PEER_ID } from 'converge-crdt/relay';
import { describeWrite, recordMerge, recordResolution } from './audit.js';
import { writeHold, seedHolds } from './board.js';
import { show } from './dom.js';
import { inboxEntries, metFields } from './conflicts.js';
import { saver } from './persistence.js';
import { applyPolicies, policySettings, writersOf } from './policy.js';

const TICK_MS = 1000;
/** The relay document every replica syncs (`?doc=name`, default booking-board), on the relay serving this page. */
const DOC_NAME = new URLSearchParams(location.search).get('doc') ?? 'booking-board';
export const RELAY_URL = `${location.origin.replace(/^http/, 'ws')}/v1/docs/${encodeURIComponent(DOC_NAME)}`;
/** Chart samples kept: one per second. */
const HISTORY = 120;

/** Whether any of `paths` lies under the policy settings (`policy/*`). */
const touchesPolicy = (paths) => paths.some((p) => p[0] === 'policy');

export class BoardReplica extends EventTarget {
  /**
   * A new replica: registers itself in the document; the very first one ever
   * (`seed`) also writes the seed holds and becomes the authority for `guest`.
   */
  static createRecord(label, seed) {
    const doc = new Document();
    // Durable mode: the replica sends only what IndexedDB has committed, so it can
    // keep its writer id across reloads (no new writer id per page load).
    doc.enableDurableWriter();
    doc.set(['replicas', doc.replicaId, 'label'], label);
    doc.addToSet(['replicas', doc.replicaId, 'writers'], doc.writerId);
    if (seed) {
      doc.set(['policy', 'authority'], doc.replicaId);
      for (const hold of seedHolds()) writeHold(doc, hold);
    }
    const bytes = doc.takeDelta();
    const record = {
      id: doc.replicaId,
      label,
      saved: doc.save(),
      outbox: [{ at: Date.now(), bytes, what: seed ? 'seed board' : 'join board' }],
      online: true,
      totals: { bytesSent: 0, bytesReceived: 0, conflicts: 0 },
      lastSyncAt: null,
      createdAt: Date.now(),
    };
    doc.free();
    return record;
  }

  /** Starts the replica saved in `record`, persisting to `store`. */
  constructor(record, store) {
    super();
    this.id = record.id;
    this.label = record.label;
    this.createdAt = record.createdAt;
    this.doc = Document.restoreDurable(record.saved);
    // The queue is a write-ahead log on top of the saved state: merging it again is
    // harmless when the state already holds it, and restores it when it does not.
    this.outbox = record.outbox.slice();
    for (const entry of this.outbox) this.doc.merge(entry.bytes);
    this.online = record.online;
    this.base = { ...record.totals };
    this.lastSyncAt = record.lastSyncAt;
    this.history = [];
    this.saves = 0;
    this.saveError = null;
    this.policyKey = applyPolicies(this.doc, null);
    this.generations = new Map(); // top-level key -> changes seen under it
    this.unsubscribe = this.doc.subscribe(({ paths }) => this.docChanged(paths));
    this.savedQueue = null; // the queue length in the last snapshot IndexedDB committed
    let queued = null;
    let mark = null;
    this.save = saver(
      store,
      () => {
        queued = this.outbox.length;
        mark = this.doc.saveMark(); // taken with the snapshot's save(), in one task
        return this.snapshot();
      },
      (error) => {
        this.saveError = error;
        if (!error) {
          this.saves++;
          this.savedQueue = queued;
          // Committed: the writes it holds may go to the relay now.
          this.doc.markSaved(mark);
          this.connection?.flush();
        }
        this.emit();
      },
    );
    this.connection = connect(this.doc, RELAY_URL, {
      minDelayMs: 100,
      maxDelayMs: 2000,
      onReceive: (report) => this.received(report),
      onStatus: (status) => {
        if (status.state === 'online') this.lastSyncAt = status.lastSyncAt;
        this.settleOutbox();
        this.emit();
      },
    });
    if (!this.online) this.connection.disconnect();
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.sample();
  }

  /** What IndexedDB keeps of this replica. */
  snapshot() {
    return {
      id: this.id,
      label: this.label,
      saved: this.doc.save(),
      outbox: this.outbox,
      online: this.online,
      totals: this.totals(),
      lastSyncAt: this.lastSyncAt,
      createdAt: this.createdAt,
    };
  }

  /** Traffic and conflicts since the replica was created (across restarts). */
  totals() {
    const m = this.doc.metrics();
    return {
      bytesSent: this.base.bytesSent + m.bytesSent,
      bytesReceived: this.base.bytesReceived + m.bytesReceived,
      conflicts: this.base.conflicts + m.conflicts,
    };
  }

  emit() {
    this.dispatchEvent(new Event('change'));
  }

  /**
   * The document's change event (after local writes, and merges that changed
   * something): counts the change under each top-level key it touched, and re-reads
   * the read policies if their settings changed.
   */
  docChanged(paths) {
    for (const key of new Set(paths.map((p) => p[0]))) {
      this.generations.set(key, (this.generations.get(key) ?? 0) + 1);
    }
    if (touchesPolicy(paths)) this.policyKey = applyPolicies(this.doc, this.policyKey);
    this.emit();
  }

  /** The relay connection's state: 'online', 'syncing', 'connecting' or 'offline'. */
  relayState() {
    return this.connection.status.state;
  }

  /** The display label of whoever wrote with `writer` (a writer id). */
  labelOf(writer) {
    const replicas = this.doc.get(['replicas']) ?? {};
    for (const [id, entry] of Object.entries(replicas)) {
      if (id === writer || writersOf(this.doc, id).includes(writer)) return entry?.label ?? id.slice(-4);
    }
    return `…${writer.slice(-4)}`;
  }

  // --- writing -----------------------------------------------------------------

  /**
   * Applies a local edit: `mutate(doc)` makes ordinary converge writes; their delta
   * joins the outbox and, online, goes to the peers at once.
   */
  write(what, mutate) {
    // A durable replica keeps its writer id across reloads; one saved before it was
    // durable takes a fresh id once (a session writer of its replica id, which
    // authority policies recognise): record it the first time, so the board can show
    // who wrote what.
    if (!writersOf(this.doc, this.id).includes(this.doc.writerId)) {
      this.doc.addToSet(['replicas', this.id, 'writers'], this.doc.writerId);
    }
    try {
      mutate(this.doc);
    } catch (error) {
      // A write the policies refuse (ERR_NOT_AUTHORITY, ERR_STALE) changes nothing;
      // the Document lists it in its dead letters, which the card shows.
      if (error?.code !== 'ERR_NOT_AUTHORITY' && error?.code !== 'ERR_STALE') throw error;
    }
    this.commit(what);
  }

  commit(what) {
    const bytes = this.doc.takeDelta();
    if (bytes !== undefined) this.outbox.push({ at: Date.now(), bytes, what });
    this.changed();
  }

  /** Resolves an inbox entry: an ordinary write that supersedes the siblings. */
  resolve(path, value) {
    const read = this.doc.read(path);
    const replaced = [...(read?.siblings ?? []), ...(read?.ignored ?? [])].map((w) =>
      describeWrite(w, (id) => this.labelOf(id)),
    );
    this.write(`resolve ${path.slice(1).join('.')}`, (doc) => {
      doc.set(path, value);
      recordResolution(doc, { replica: this.label, path, replaced, chosen: value });
    });
  }

  setPolicy(field, value) {
    this.write(`policy ${field}`, (doc) => doc.set(['policy', field], value));
  }

  changed() {
    this.flush();
    this.settleOutbox();
    this.save();
    this.emit();
  }

  // --- the network -------------------------------------------------------------

  /** The Offline button: closes the socket (writes queue up); online reconnects. */
  setOnline(online) {
    if (online === this.online) return;
    this.online = online;
    if (online) this.connection.reconnect();
    else this.connection.disconnect();
    this.save();
    this.emit();
  }

  /** Sends the relay what it lacks (the connection also sends after each local write). */
  flush() {
    if (this.online) this.connection.flush();
  }

  /**
   * After each message from the relay (the connection applied it and sent the reply):
   * records in the audit log what the merge met (the merge report `receive` returns;
   * converge computes it, nothing is re-ranked here).
   */
  received(report) {
    this.lastSyncAt = Date.now();
    // New policy settings must apply before the report's fields are read below (the
    // change event that also re-reads them comes after this call).
    if (touchesPolicy(report.changed)) this.policyKey = applyPolicies(this.doc, this.policyKey);
    const met = metFields(this.doc, report);
    if (met.length > 0) {
      recordMerge(this.doc, {
        replica: this.label,
        fields: met.map(({ path, read, writes, verdict }) => ({
          path,
          values: writes.map((w) => describeWrite(w, (id) => this.labelOf(id))),
          settled:
            verdict === 'review' || read?.needsAttention
              ? 'needs a person'
              : `${read?.resolver ?? read?.outcome ?? 'ignored'}: ${show(read?.value)}`,
        })),
      });
      this.commit('audit: merge met concurrent writes');
    } else {
      this.changed();
    }
  }

  /**
   * Empties the outbox once the relay acknowledged everything we hold (it acknowledges
   * only what it committed to its storage, so the outbox is no longer needed).
   */
  settleOutbox() {
    if (this.outbox.length === 0) return;
    const relay = this.doc.metrics().peers[RELAY_PEER_ID];
    if (relay && relay.acked !== null && relay.pending === 0) {
      this.outbox = [];
      this.save();
    }
  }

  tick() {
    if (this.online) {
      this.flush();
      this.settleOutbox();
    }
    this.sample();
    this.emit();
  }

  sample() {
    this.history.push({
      at: Date.now(),
      pending: this.outbox.length,
      open: inboxEntries(this.doc).length,
      met: this.totals().conflicts,
    });
    if (this.history.length > HISTORY) this.history.shift();
  }

  /** The current policy settings (for the UI). */
  policies() {
    return policySettings(this.doc);
  }

  stop() {
    this.unsubscribe();
    clearInterval(this.timer);
    this.connection.close();
  }
}
