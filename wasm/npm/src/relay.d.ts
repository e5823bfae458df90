// Types of converge-crdt/relay: the relay client and the persistence helper.

/** The relay's replica id, the peer a client syncs with. */
export declare const RELAY_PEER_ID: string;

/** The relay's close codes (crates/relay/PROTOCOL.md). */
export declare const CLOSE_CODES: {
  readonly NORMAL: 1000;
  readonly RESTARTING: 1012;
  readonly BAD_FRAME: 4400;
  readonly BAD_TOKEN: 4401;
  readonly READ_ONLY: 4403;
  readonly BAD_DOCUMENT: 4404;
  readonly SLOW_CONSUMER: 4408;
  readonly FRAME_TOO_LARGE: 4413;
  readonly RATE_LIMITED: 4429;
  readonly TOO_MANY_CONNECTIONS: 4430;
  readonly TOO_MANY_DOCUMENTS: 4431;
  readonly STORAGE_UNAVAILABLE: 4503;
};

/** What the client needs of a replica: any converge class instance has it. */
export interface RelayReplica {
  messageFor(peerId: string): Uint8Array | undefined;
  hello(peerId: string): Uint8Array;
  receive(message: Uint8Array): unknown;
  resume(token: Uint8Array): Uint8Array;
  syncToken(peerId: string): Uint8Array | undefined;
  metrics(): { bufferDepth: number; peers: Record<string, { pending: number }> };
  readonly unsaved?: number;
  subscribe?(listener: (event: { local: boolean }) => void): () => void;
}

/** What a converge class offers for persistence (Document, OrSet, ...). */
export interface PersistableClass<T> {
  new (replicaId?: string): T;
  restore(bytes: Uint8Array): T;
  restoreDurable(bytes: Uint8Array): T;
}

/** What a persisted replica needs beyond RelayReplica. */
export interface DurableReplica extends RelayReplica {
  save(): Uint8Array;
  saveMark(): number;
  markSaved(mark: number): void;
  enableDurableWriter(): void;
}

/** A connection's state. */
export type RelayState = 'connecting' | 'syncing' | 'online' | 'offline';

/** A connection's status, as `status` and the status listeners give it. */
export interface RelayStatus {
  state: RelayState;
  /** The relay URL in use: connected, being dialled, or dialled next (one of `connect`'s URLs). */
  url: string;
  /** Sequence numbers the relay has not acknowledged. */
  pending: number;
  /** Writes waiting for a durable save before they can be sent. */
  unsaved: number;
  /** When everything was last acknowledged (`now()` milliseconds), or null. */
  lastSyncAt: number | null;
  /** 'open': the relay failed `breakerThreshold` times in a row; waiting `breakerCooldownMs`. */
  breaker: 'closed' | 'open' | 'half-open';
  /** Connection attempts that failed in a row. */
  failures: number;
  /** When the next attempt is due, or null. */
  nextRetryAt: number | null;
  /** The last close code, or null. */
  closeCode: number | null;
  /** Why the connection stopped or failed: 'bad-token', 'read-only', 'bad-document', 'bad-frame', 'frame-too-large', 'disconnected', 'error: ...', or null. */
  reason: string | null;
  /** Whether it stopped reconnecting (disconnect() or a fatal close); reconnect() resumes. */
  stopped: boolean;
}

/** A WebSocket constructor: the browser's, Node 22's, or the ws package's. */
export type WebSocketConstructor = new (url: string) => {
  binaryType: string;
  send(data: Uint8Array): void;
  close(code?: number): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number }) => void) | null;
  onerror: ((event: unknown) => void) | null;
};

/** Options of `connect`. */
export interface ConnectOptions {
  /** A JWT, or a function giving one (called before each attempt; a refused token is never sent again). */
  token?: string | (() => string | Promise<string>);
  /** The WebSocket class: pass the ws package's in Node 20. Default: globalThis.WebSocket. */
  WebSocket?: WebSocketConstructor | (new (url: string) => unknown);
  /** Backoff base, the first retry's ceiling (default 250 ms). */
  minDelayMs?: number;
  /** Backoff cap (default 30,000 ms). */
  maxDelayMs?: number;
  /** Failed attempts in a row that open the circuit breaker (default 8). */
  breakerThreshold?: number;
  /** How long an open breaker waits before one probe (default 60,000 ms). */
  breakerCooldownMs?: number;
  /** A sync token to resume with on the first connection. */
  syncToken?: Uint8Array;
  /** A persisted replica: its sync token, and sends after each of its saves. */
  persisted?: PersistedReplica<DurableReplica>;
  /** Called with what `receive` returned (a Document's merge report) for each frame from the relay, after the reply is sent. */
  onReceive?: (result: unknown) => void;
  /** Called on every status change. */
  onStatus?: (status: RelayStatus) => void;
  /** Reconnect at once on the browser's `online` event (default true). */
  watchNetwork?: boolean;
  /** For tests: the random source of the jitter, timers and clock. */
  random?: () => number;
  setTimer?: (callback: () => void, ms: number) => unknown;
  clearTimer?: (timer: unknown) => void;
  now?: () => number;
}

/** One replica's link to one relay document (on one of several relay nodes). */
export declare class RelayConnection {
  private constructor();
  get status(): RelayStatus;
  get pending(): number;
  subscribe(listener: (status: RelayStatus) => void): () => void;
  syncToken(): Uint8Array | undefined;
  flush(): void;
  disconnect(): void;
  reconnect(): void;
  retryNow(): void;
  close(): void;
}

/** The backoff delay before retry `attempt`: uniform in [0, min(maxDelayMs, minDelayMs * 2^attempt)). */
export declare function backoffDelay(
  attempt: number,
  minDelayMs: number,
  maxDelayMs: number,
  random?: () => number,
): number;

/** A relay document URL (`ws://host/v1/docs/name`): a string or a URL object. */
export type RelayUrl = string | { readonly href: string };

/**
 * Connects `doc` to the relay document at `urls`: one URL (a relay's or a load
 * balancer's), or the same document on several relay nodes. The first URL is tried
 * first; every close or failed attempt moves to the next one, round robin, and the
 * replica resumes there with its sync token. The breaker counts failures across all.
 */
export declare function connect(
  doc: RelayReplica,
  urls: RelayUrl | readonly RelayUrl[],
  options?: ConnectOptions,
): RelayConnection;

/** A byte store: IndexedDB, memory, or your own. */
export interface ReplicaStore {
  get(key: string): Promise<{ replica: Uint8Array; syncToken?: Uint8Array } | undefined>;
  set(key: string, value: { replica: Uint8Array; syncToken?: Uint8Array }): Promise<void>;
  delete(key: string): Promise<void>;
}

/** A store in memory. */
export declare function memoryStore(): ReplicaStore;

/** A store in IndexedDB database `name`; `set` resolves after a strict-durability commit. */
export declare function indexedDbStore(
  name?: string,
  options?: { indexedDB?: unknown },
): ReplicaStore & { close(): Promise<void> };

/** Options of `persist`. */
export interface PersistOptions {
  store?: ReplicaStore;
  /** The id of a new replica (random if omitted). */
  replicaId?: string;
  /** Take a Web Lock on the key (default true where navigator.locks exists). */
  lock?: boolean;
  /** For tests: a LockManager. */
  locks?: unknown;
}

/** A replica kept in a store. */
export declare class PersistedReplica<T extends DurableReplica> {
  private constructor();
  readonly doc: T;
  readonly syncToken: Uint8Array | undefined;
  readonly primary: boolean;
  readonly errors: number;
  onSaved(listener: () => void): () => void;
  save(): Promise<void>;
  close(): Promise<void>;
}

/** Opens (or creates) the replica saved under `key`, in durable mode, saving after each change. */
export declare function persist<T extends DurableReplica>(
  Class: PersistableClass<T>,
  key: string,
  options?: PersistOptions,
): Promise<PersistedReplica<T>>;
