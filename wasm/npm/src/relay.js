// converge-crdt/relay: connect a replica to a converge relay (crates/relay) over a
// WebSocket, and keep it saved in IndexedDB. Transport and storage only: every CRDT
// decision is the replica's (messageFor, receive, hello, resume, save, restore).
//
// The wire contract (crates/relay/PROTOCOL.md): `GET /v1/docs/{doc}?token=<jwt>`
// upgrades to a WebSocket; every frame is binary and is one converge sync message; the
// relay is the peer RELAY_PEER_ID; the client speaks first (resume(token) or hello).

/** The relay's replica id (the ASCII of "relay hu"), the peer a client syncs with. */
export const RELAY_PEER_ID = '72656c6179206875';

/** The relay's close codes (PROTOCOL.md). */
export const CLOSE_CODES = Object.freeze({
  NORMAL: 1000,
  RESTARTING: 1012,
  BAD_FRAME: 4400,
  BAD_TOKEN: 4401,
  READ_ONLY: 4403,
  BAD_DOCUMENT: 4404,
  SLOW_CONSUMER: 4408,
  FRAME_TOO_LARGE: 4413,
  RATE_LIMITED: 4429,
  TOO_MANY_CONNECTIONS: 4430,
  TOO_MANY_DOCUMENTS: 4431,
  STORAGE_UNAVAILABLE: 4503,
});

// Codes that say the request itself is wrong: retrying the same thing fails again.
const FATAL = new Map([
  [4400, 'bad-frame'],
  [4403, 'read-only'],
  [4404, 'bad-document'],
  [4413, 'frame-too-large'],
]);

/**
 * The delay before reconnection attempt `attempt` (0 for the first retry), with full
 * jitter: uniform in [0, min(maxDelayMs, minDelayMs * 2^attempt)).
 */
export function backoffDelay(attempt, minDelayMs, maxDelayMs, random = Math.random) {
  const ceiling = Math.min(maxDelayMs, minDelayMs * 2 ** Math.min(attempt, 40));
  return Math.floor(random() * ceiling);
}

function codedError(message, code) {
  const error = new TypeError(message);
  error.code = code;
  return error;
}

/** Runs an application callback; what it throws is reported, not thrown into the socket. */
function report(callback) {
  try {
    callback();
  } catch (error) {
    if (typeof globalThis.reportError === 'function') globalThis.reportError(error);
    else console.error(error);
  }
}

function withToken(url, token) {
  if (token === undefined || token === null || token === '') return url;
  return `${url}${url.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`;
}

/** The URL string of one `connect` target (a string or a URL object), or null. */
function urlOf(target) {
  if (typeof target === 'string' && target !== '') return target;
  if (typeof target?.href === 'string' && target.href !== '') return target.href;
  return null;
}

/**
 * Connects `doc` (any converge replica: a Document, OrSet, ...) to the relay document
 * at `urls`: one URL (`ws://host:port/v1/docs/name`, or a load balancer's) or an array
 * of them, the same document on several relay nodes. The first URL is tried first;
 * after every close or failed attempt the next one is, round robin. Returns a
 * RelayConnection that reconnects with backoff until `disconnect()`.
 */
export function connect(doc, urls, options = {}) {
  if (doc === null || typeof doc !== 'object' || typeof doc.messageFor !== 'function') {
    throw codedError('connect takes a converge replica (a Document, OrSet, ...) first', 'ERR_INVALID_ARGUMENT');
  }
  const list = (Array.isArray(urls) ? urls : [urls]).map(urlOf);
  if (list.length === 0 || list.includes(null)) {
    throw codedError(
      'connect takes the relay document URL (ws://host/v1/docs/name), or an array of them, second',
      'ERR_INVALID_ARGUMENT',
    );
  }
  const Socket = options.WebSocket ?? globalThis.WebSocket;
  if (typeof Socket !== 'function') {
    throw codedError(
      'no WebSocket here: pass one, as in connect(doc, url, { WebSocket }) with the ws package in Node 20',
      'ERR_NO_WEBSOCKET',
    );
  }
  const connection = new RelayConnection(doc, list, Socket, options);
  connection.reconnect();
  return connection;
}

/**
 * One replica's link to one relay document (on one of several relay nodes): status,
 * reconnection, moving to the next node, circuit breaker.
 */
export class RelayConnection {
  #doc;
  #urls;
  #urlIndex = 0;
  #Socket;
  #token;
  #minDelayMs;
  #maxDelayMs;
  #breakerThreshold;
  #breakerCooldownMs;
  #random;
  #setTimer;
  #clearTimer;
  #now;
  #resumeToken;
  #onReceive;
  #socket = null;
  #open = false;
  #sentLimit = -1;
  #timer = null;
  #state = 'offline';
  #stopped = true;
  #reason = null;
  #closeCode = null;
  #failures = 0;
  #breaker = 'closed';
  #nextRetryAt = null;
  #lastSyncAt = null;
  #refusedToken;
  #listeners = new Set();
  #lastEmitted = '';
  #unsubscribeDoc = null;
  #unwatchNetwork = null;

  constructor(doc, urls, Socket, options) {
    this.#doc = doc;
    this.#urls = urls;
    this.#Socket = Socket;
    this.#token = options.token;
    this.#minDelayMs = options.minDelayMs ?? 250;
    this.#maxDelayMs = options.maxDelayMs ?? 30_000;
    this.#breakerThreshold = options.breakerThreshold ?? 8;
    this.#breakerCooldownMs = options.breakerCooldownMs ?? 60_000;
    this.#random = options.random ?? Math.random;
    this.#setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.#clearTimer = options.clearTimer ?? ((t) => clearTimeout(t));
    this.#now = options.now ?? (() => Date.now());
    this.#resumeToken = options.syncToken ?? options.persisted?.syncToken;
    this.#onReceive = options.onReceive;
    if (options.persisted) {
      // Saves release a durable replica's writes: send them once they are saved.
      options.persisted.onSaved(() => this.flush());
    }
    if (options.onStatus) this.#listeners.add(options.onStatus);
    if (typeof doc.subscribe === 'function') {
      // A Document tells of its local writes: send them (messageFor holds back what a
      // durable replica has not saved yet; the persistence helper flushes after saves).
      this.#unsubscribeDoc = doc.subscribe((event) => {
        if (event.local) this.flush();
      });
    }
    const target = globalThis.window ?? null;
    if (options.watchNetwork !== false && target && typeof target.addEventListener === 'function') {
      const online = () => this.retryNow();
      target.addEventListener('online', online);
      this.#unwatchNetwork = () => target.removeEventListener('online', online);
    }
  }

  /**
   * `{ state, url, pending, unsaved, lastSyncAt, breaker, failures, nextRetryAt,
   * closeCode, reason, stopped }`. state: 'connecting' | 'syncing' (open, writes or the
   * first answer outstanding) | 'online' (open, everything acknowledged) | 'offline'.
   * url: the relay URL in use (connected, being dialled, or dialled next).
   */
  get status() {
    return {
      state: this.#state,
      url: this.#urls[this.#urlIndex],
      pending: this.pending,
      unsaved: Number(this.#doc.unsaved ?? 0),
      lastSyncAt: this.#lastSyncAt,
      breaker: this.#breaker,
      failures: this.#failures,
      nextRetryAt: this.#nextRetryAt,
      closeCode: this.#closeCode,
      reason: this.#reason,
      stopped: this.#stopped,
    };
  }

  /** How many of the replica's sequence numbers the relay has not acknowledged. */
  get pending() {
    const peer = this.#doc.metrics().peers[RELAY_PEER_ID];
    return peer ? Number(peer.pending) : Number(this.#doc.metrics().bufferDepth ?? 0);
  }

  /** Calls `listener(status)` on every status change; returns the unsubscribe function. */
  subscribe(listener) {
    if (typeof listener !== 'function') throw codedError('subscribe takes a function', 'ERR_INVALID_ARGUMENT');
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The sync token to persist for resuming with the relay (undefined before any sync). */
  syncToken() {
    return this.#doc.syncToken(RELAY_PEER_ID);
  }

  /** Sends what the relay lacks now (after writes the Document did not announce). */
  flush() {
    if (!this.#open) return;
    try {
      this.#sendNews(this.#socket);
    } catch (error) {
      this.#fail(error);
      return;
    }
    this.#settle();
  }

  /** Closes the socket and stops reconnecting (an Offline button). */
  disconnect() {
    this.#stopped = true;
    this.#reason = 'disconnected';
    this.#cancelTimer();
    this.#closeSocket(1000);
    this.#state = 'offline';
    this.#emit();
  }

  /** (Re)connects now: after `disconnect()`, after a fatal close, or to skip a wait. */
  reconnect() {
    this.#stopped = false;
    this.#reason = null;
    this.#failures = 0;
    this.#breaker = 'closed';
    this.#refusedToken = undefined;
    this.#cancelTimer();
    if (!this.#socket) this.#connect();
  }

  /** Skips the current wait (backoff or open breaker), unless stopped. */
  retryNow() {
    if (this.#stopped || this.#socket) return;
    this.#cancelTimer();
    if (this.#breaker === 'open') this.#breaker = 'half-open';
    this.#connect();
  }

  /** disconnect(), and lets go of the replica and the listeners. */
  close() {
    this.disconnect();
    this.#unsubscribeDoc?.();
    this.#unwatchNetwork?.();
    this.#listeners.clear();
  }

  #cancelTimer() {
    if (this.#timer !== null) this.#clearTimer(this.#timer);
    this.#timer = null;
    this.#nextRetryAt = null;
  }

  #closeSocket(code) {
    const socket = this.#socket;
    this.#socket = null;
    this.#open = false;
    if (socket) {
      socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
      try {
        socket.close(code);
      } catch {
        // Closing a socket that never opened may throw in some runtimes.
      }
    }
  }

  #connect() {
    this.#state = 'connecting';
    this.#closeCode = null;
    this.#emit();
    let token;
    try {
      token = typeof this.#token === 'function' ? this.#token() : this.#token;
    } catch (error) {
      this.#afterClose(null, false, error);
      return;
    }
    if (token && typeof token.then === 'function') {
      token.then(
        (value) => {
          if (!this.#stopped && this.#state === 'connecting' && !this.#socket) this.#dial(value);
        },
        (error) => this.#afterClose(null, false, error),
      );
    } else {
      this.#dial(token);
    }
  }

  #dial(token) {
    if (token !== undefined && token === this.#refusedToken) {
      // The relay refused this very token: asking again with it would fail again.
      this.#stop('bad-token', CLOSE_CODES.BAD_TOKEN);
      return;
    }
    let socket;
    try {
      socket = new this.#Socket(withToken(this.#urls[this.#urlIndex], token));
    } catch (error) {
      this.#afterClose(null, false, error);
      return;
    }
    socket.binaryType = 'arraybuffer';
    this.#socket = socket;
    let heard = false;
    socket.onopen = () => {
      this.#open = true;
      try {
        let first;
        if (this.#resumeToken) {
          try {
            first = this.#doc.resume(this.#resumeToken);
          } catch {
            first = undefined; // a token refused: a hello works without it
          }
          this.#resumeToken = undefined;
        }
        this.#sentLimit = -1;
        socket.send(first ?? this.#doc.hello(RELAY_PEER_ID));
        this.#sendNews(socket);
      } catch (error) {
        this.#fail(error);
        return;
      }
      this.#state = 'syncing';
      this.#emit();
    };
    socket.onmessage = (event) => {
      if (typeof event.data === 'string') return; // the relay sends binary frames only
      let result;
      try {
        const bytes = new Uint8Array(event.data);
        result = this.#doc.receive(bytes);
        const reply = result instanceof Uint8Array ? result : result?.reply;
        if (reply) socket.send(reply);
        this.#sendNews(socket);
      } catch (error) {
        this.#fail(error);
        return;
      }
      // The relay answered with a message the replica took: the link works.
      heard = true;
      this.#reason = null;
      this.#failures = 0;
      this.#breaker = 'closed';
      if (this.#onReceive) report(() => this.#onReceive(result));
      this.#settle();
    };
    socket.onerror = () => {
      // A close event follows with the code.
    };
    socket.onclose = (event) => {
      if (this.#socket !== socket) return;
      this.#socket = null;
      this.#open = false;
      this.#afterClose(event.code, heard, null, token);
    };
  }

  /**
   * Sends `messageFor(relay)` if the replica has something the relay was not sent on
   * this socket yet. A WebSocket delivers every frame in order (a relay that drops one
   * closes the socket), so what was sent and is not yet acknowledged is not sent again
   * on every write and frame; a new socket starts over. What may be sent ends before
   * the writes a durable replica has not saved (`unsaved`).
   */
  #sendNews(socket) {
    const peer = this.#doc.metrics().peers[RELAY_PEER_ID];
    const limit = peer
      ? Number(peer.acked ?? 0) + Number(peer.pending) - Number(this.#doc.unsaved ?? 0)
      : null;
    if (limit !== null && limit <= this.#sentLimit) return;
    const message = this.#doc.messageFor(RELAY_PEER_ID);
    if (message) {
      socket.send(message);
      if (limit !== null) this.#sentLimit = limit;
    }
  }

  /** After a frame or a flush: online once the relay acknowledged everything. */
  #settle() {
    if (!this.#open) return;
    const pending = this.pending;
    if (pending === 0) this.#lastSyncAt = this.#now();
    this.#state = pending === 0 ? 'online' : 'syncing';
    this.#emit();
  }

  /**
   * A replica error while syncing (a message it refused): reconnect from scratch. It
   * counts as a failed attempt, so a relay that keeps sending what the replica refuses
   * opens the breaker instead of being hammered.
   */
  #fail(error) {
    this.#reason = `error: ${error?.code ?? error?.message ?? error}`;
    const socket = this.#socket;
    this.#closeSocket(4400);
    if (socket) this.#afterClose(null, false, error);
  }

  #stop(reason, code) {
    this.#stopped = true;
    this.#reason = reason;
    this.#closeCode = code;
    this.#state = 'offline';
    this.#cancelTimer();
    this.#emit();
  }

  #afterClose(code, heard, error, token) {
    this.#closeCode = code;
    if (this.#stopped) {
      this.#state = 'offline';
      this.#emit();
      return;
    }
    if (FATAL.has(code)) {
      this.#stop(FATAL.get(code), code);
      return;
    }
    if (code === CLOSE_CODES.BAD_TOKEN) {
      if (typeof this.#token !== 'function') {
        this.#stop('bad-token', code);
        return;
      }
      this.#refusedToken = token; // a token function may give a fresh one
    }
    if (error && !this.#reason) this.#reason = `error: ${error?.code ?? error?.message ?? error}`;
    // Every close or failed attempt moves to the next relay node: a node that died
    // (or drains) is left at once. The hello there carries what the replica holds of
    // the relay's deltas (its sync token); nodes over one Redis share one sync session,
    // so they answer with a delta; a node of another session (e.g. separate SQLite
    // relays) answers with its full state once. One failure count across the nodes: the
    // breaker opens after `breakerThreshold` failed attempts in a row, wherever.
    this.#urlIndex = (this.#urlIndex + 1) % this.#urls.length;
    // A relay restarting (1012) or a connection that worked is no failure of the
    // relay's: back off from the start. Otherwise count toward the breaker.
    if (heard || code === CLOSE_CODES.RESTARTING) {
      this.#failures = 0;
      this.#breaker = 'closed';
    } else {
      this.#failures += 1;
    }
    this.#state = 'offline';
    let delay;
    if (this.#failures >= this.#breakerThreshold) {
      this.#breaker = 'open';
      delay = this.#breakerCooldownMs;
    } else {
      delay = backoffDelay(Math.max(0, this.#failures - 1), this.#minDelayMs, this.#maxDelayMs, this.#random);
    }
    this.#nextRetryAt = this.#now() + delay;
    this.#timer = this.#setTimer(() => {
      this.#timer = null;
      this.#nextRetryAt = null;
      if (this.#breaker === 'open') this.#breaker = 'half-open';
      this.#connect();
    }, delay);
    this.#emit();
  }

  #emit() {
    if (this.#listeners.size === 0) return;
    let status;
    try {
      status = this.status;
    } catch {
      return; // the replica was freed
    }
    const key = JSON.stringify(status);
    if (key === this.#lastEmitted) return;
    this.#lastEmitted = key;
    for (const listener of [...this.#listeners]) report(() => listener(status));
  }
}

// ---------------------------------------------------------------------------------
// Persistence: the replica and its sync token in a byte store (IndexedDB in browsers,
// any object with async get/set in Node), saved after every change, restored on load.

/** A store in memory (for tests and Node): `get(key)`, `set(key, value)`, `delete(key)`. */
export function memoryStore() {
  const records = new Map();
  return {
    async get(key) {
      return records.get(key);
    },
    async set(key, value) {
      records.set(key, structuredClone(value));
    },
    async delete(key) {
      records.delete(key);
    },
  };
}

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/**
 * A store in IndexedDB database `name` (object store `replicas`). `set` resolves once
 * the transaction is committed with strict durability (flushed to disk where the
 * browser supports it), so a save it confirms survives a crash.
 */
export function indexedDbStore(name = 'converge', options = {}) {
  const idb = options.indexedDB ?? globalThis.indexedDB;
  if (!idb) throw codedError('no IndexedDB here: pass a store, such as memoryStore()', 'ERR_NO_INDEXEDDB');
  let db;
  const open = () => {
    db ??= new Promise((resolve, reject) => {
      const req = idb.open(name, 1);
      req.onupgradeneeded = () => req.result.createObjectStore('replicas');
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    return db;
  };
  const run = async (mode, fn) => {
    const tx = (await open()).transaction('replicas', mode, { durability: 'strict' });
    const result = fn(tx.objectStore('replicas'));
    await new Promise((resolve, reject) => {
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
    });
    return result;
  };
  return {
    async get(key) {
      const tx = (await open()).transaction('replicas', 'readonly');
      return request(tx.objectStore('replicas').get(key));
    },
    async set(key, value) {
      await run('readwrite', (s) => s.put(value, key));
    },
    async delete(key) {
      await run('readwrite', (s) => s.delete(key));
    },
    async close() {
      if (db) (await db).close();
      db = undefined;
    },
  };
}

/**
 * Opens the replica saved under `key` in `options.store` (IndexedDB by default), or a
 * new one of `Class` (Document, OrSet, ...), in durable mode: it sends only what is
 * saved, and keeps its writer id across reloads. Saves after every local change (a
 * Document's) and on `save()`. Where Web Locks exist, one tab holds the key; another
 * tab gets a replica restored with a fresh writer id that saves nothing (`primary`
 * is false), since two live replicas of one saved writer would name two writes alike.
 */
export async function persist(Class, key, options = {}) {
  if (typeof Class?.restoreDurable !== 'function') {
    throw codedError('persist takes a converge class (Document, OrSet, ...) first', 'ERR_INVALID_ARGUMENT');
  }
  const store = options.store ?? indexedDbStore();
  let primary = true;
  let releaseLock = null;
  const locks = options.locks ?? globalThis.navigator?.locks;
  if (locks && options.lock !== false) {
    primary = await new Promise((resolve) => {
      locks.request(`converge:${key}`, { ifAvailable: true }, (lock) => {
        if (!lock) {
          resolve(false);
          return undefined;
        }
        resolve(true);
        return new Promise((release) => {
          releaseLock = release;
        });
      });
    });
  }
  const record = await store.get(key);
  let doc;
  if (record?.replica) {
    doc = primary ? Class.restoreDurable(record.replica) : Class.restore(record.replica);
  } else {
    doc = new Class(options.replicaId);
    if (primary) doc.enableDurableWriter();
  }
  return new PersistedReplica(doc, store, key, record?.syncToken, primary, releaseLock);
}

/** A replica kept in a store: `doc`, `save()`, `onSaved(listener)`, `close()`. */
export class PersistedReplica {
  #store;
  #key;
  #saving = null;
  #again = false;
  #listeners = new Set();
  #unsubscribe = null;
  #release;

  constructor(doc, store, key, syncToken, primary, release) {
    /** The replica. */
    this.doc = doc;
    /** The sync token saved with it, for `connect(..., { persisted })`. */
    this.syncToken = syncToken;
    /** Whether this replica owns the key (false: another tab does; nothing is saved). */
    this.primary = primary;
    /** Saves that failed (the writes stay unsent until a save succeeds). */
    this.errors = 0;
    this.#store = store;
    this.#key = key;
    this.#release = release;
    if (primary && typeof doc.subscribe === 'function') {
      this.#unsubscribe = doc.subscribe(() => {
        this.save().catch(() => {});
      });
    }
  }

  /** Calls `listener()` after each durable save; returns the unsubscribe function. */
  onSaved(listener) {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Saves the replica and its relay sync token; resolves once the store committed
   * them and the replica may send the writes they hold. Saves do not overlap: a save
   * asked for during another runs once after it.
   */
  save() {
    if (!this.primary) return Promise.resolve();
    if (this.#saving) {
      this.#again = true;
      return this.#saving;
    }
    this.#saving = (async () => {
      try {
        do {
          this.#again = false;
          const mark = this.doc.saveMark();
          const replica = this.doc.save();
          const syncToken = this.doc.syncToken(RELAY_PEER_ID);
          try {
            await this.#store.set(this.#key, { replica, syncToken });
          } catch (error) {
            this.errors += 1;
            throw error;
          }
          this.doc.markSaved(mark);
          for (const listener of [...this.#listeners]) report(listener);
        } while (this.#again);
      } finally {
        this.#saving = null;
      }
    })();
    return this.#saving;
  }

  /** Stops saving on change and releases the key's lock (after a last save). */
  async close() {
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    if (this.primary) await this.save().catch(() => {});
    this.#release?.();
    this.#listeners.clear();
  }
}
