// One replica of the board: a converge Document, its link to the other replicas (the
// bus), an online/offline switch, the queue of deltas written but not yet acknowledged,
// and its saved copy in IndexedDB. Everything the UI shows about a replica comes from
// here; every change fires a 'change' event. What changed in the document comes from
// the Document's own change events (`doc.subscribe`): `generations` counts the
// changes per top-level key, so the views redraw only the parts that changed, and the
// read policies are re-read only when the policy settings change.
//
// Sync is converge's session API: `hello(peer)` when a peer appears or comes back,
// `messageFor(peer)` for what a peer lacks (a delta interval, or the full state),
// `receive(bytes)` for what arrives (it returns the reply: an ack, or what the peer
// asked for). Offline, nothing is sent or heard; writes wait in the replica's buffer,
// and the outbox below lists them.

import { Document } from 'converge-crdt';
import { describeWrite, recordMerge, recordResolution } from './audit.js';
import { writeHold, seedHolds } from './board.js';
import { joinBus } from './bus.js';
import { show } from './dom.js';
import { inboxEntries, metFields } from './conflicts.js';
import { saver } from './persistence.js';
import { applyPolicies, policySettings, writersOf } from './policy.js';

const PRESENCE_MS = 1000;
/** An unacknowledged message is sent again after this long. */
const RESEND_MS = 2000;
/** A peer not heard from for this long counts as gone (closed tab, or offline). */
const PEER_TIMEOUT_MS = 3500;
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
    this.doc = Document.restore(record.saved);
    // The queue is a write-ahead log on top of the saved state: merging it again is
    // harmless when the state already holds it, and restores it when it does not.
    this.outbox = record.outbox.slice();
    for (const entry of this.outbox) this.doc.merge(entry.bytes);
    this.online = record.online;
    this.base = { ...record.totals };
    this.lastSyncAt = record.lastSyncAt;
    this.peers = new Map(); // id -> { label, seenAt }
    this.sent = new Map(); // id -> { outstanding, at }: the last message offered to each peer
    this.history = [];
    this.saves = 0;
    this.saveError = null;
    this.policyKey = applyPolicies(this.doc, null);
    this.generations = new Map(); // top-level key -> changes seen under it
    this.unsubscribe = this.doc.subscribe(({ paths }) => this.docChanged(paths));
    this.savedQueue = null; // the queue length in the last snapshot IndexedDB committed
    let queued = null;
    this.save = saver(
      store,
      () => {
        queued = this.outbox.length;
        return this.snapshot();
      },
      (error) => {
        this.saveError = error;
        if (!error) {
          this.saves++;
          this.savedQueue = queued;
        }
        this.emit();
      },
    );
    this.bus = joinBus((message) => this.hear(message));
    this.timer = setInterval(() => this.tick(), PRESENCE_MS);
    if (this.online) this.announce(true);
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

  /** Peers heard from lately (none while offline). */
  connectedPeers() {
    if (!this.online) return [];
    const now = Date.now();
    return [...this.peers].filter(([, p]) => now - p.seenAt < PEER_TIMEOUT_MS).map(([id]) => id);
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
    // After a restart the replica writes under a fresh id (a session writer of its
    // replica id, which authority policies recognise): record it the first time, so
    // the board can show who wrote what.
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

  setOnline(online) {
    if (online === this.online) return;
    this.online = online;
    if (online) this.announce(true);
    else this.peers.clear();
    this.save();
    this.emit();
  }

  /** Says "here" on the bus; `back` asks every peer to catch up with us. */
  announce(back) {
    this.bus.send({ kind: 'here', from: this.id, label: this.label, back });
  }

  send(to, bytes) {
    if (bytes !== undefined) this.bus.send({ kind: 'sync', from: this.id, to, bytes });
  }

  /**
   * Offers each connected peer what it lacks. What a peer has not acknowledged is
   * sent again only after RESEND_MS (or when `force` says the peer may have lost it),
   * not on every message that arrives meanwhile.
   */
  flush(force = false) {
    const status = this.doc.metrics().peers;
    const now = Date.now();
    for (const peer of this.connectedPeers()) {
      const outstanding = `${status[peer]?.acked}:${status[peer]?.pending}`;
      const last = this.sent.get(peer);
      if (!force && last?.outstanding === outstanding && now - last.at < RESEND_MS) continue;
      const message = this.doc.messageFor(peer);
      if (message === undefined) continue;
      this.sent.set(peer, { outstanding, at: now });
      this.send(peer, message);
    }
  }

  hear(message) {
    if (!this.online || !message || message.from === this.id) return;
    if (message.kind === 'here') {
      const known = this.connectedPeers().includes(message.from);
      this.peers.set(message.from, { label: message.label, seenAt: Date.now() });
      if (!known || message.back) {
        // A new or returning peer: tell it we are here, say what we hold of its
        // writes (it answers with the rest), and send what it lacks of ours.
        if (message.back) this.announce(false);
        this.sent.delete(message.from);
        this.send(message.from, this.doc.hello(message.from));
        this.flush();
      }
      return;
    }
    if (message.kind === 'sync' && message.to === this.id) this.receive(message);
  }

  receive({ from, bytes }) {
    let report;
    try {
      // The merge report: what the message changed, and per field what the policy made
      // of the concurrent writes it met (converge computes it; nothing is re-ranked here).
      report = this.doc.receive(bytes);
    } catch (error) {
      // The replica keeps it in its dead-letter list (shown in the card).
      console.warn(`replica ${this.label} rejected a message: ${error.code}`);
      this.emit();
      return;
    }
    const { reply } = report;
    const peer = this.peers.get(from);
    if (peer) peer.seenAt = Date.now();
    this.lastSyncAt = Date.now();
    this.send(from, reply);
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

  /** Empties the outbox once every connected peer acknowledged everything we hold. */
  settleOutbox() {
    if (this.outbox.length === 0) return;
    const peers = this.connectedPeers();
    if (peers.length === 0) return;
    const status = this.doc.metrics().peers;
    const acked = (p) => status[p] && status[p].acked !== null && status[p].pending === 0;
    if (peers.every(acked)) this.outbox = [];
  }

  tick() {
    if (this.online) {
      this.announce(false);
      this.flush();
      const before = this.outbox.length;
      this.settleOutbox();
      if (this.outbox.length !== before) this.save();
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
    this.bus.close();
  }
}
