//! The TypeScript declarations of the plain objects the classes take and return (values,
//! reads, policies, metrics, dead letters, error codes), so the generated `.d.ts` has
//! exact types instead of `any`. Declarations only: no code.

use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen(typescript_custom_section)]
const PLAIN_TYPES_TS: &str = r#"
/**
 * A plain value: what registers and sets hold and what a document reads as. Integers
 * beyond the safe range read back as bigints (64 bits at most); bytes are Uint8Arrays;
 * objects are plain objects (no class instances, Maps or Dates).
 */
export type Value =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | Value[]
  | { [key: string]: Value };

/** A document path: one key, or the keys from the root (at most 32). */
export type Path = string | readonly string[];

/** A version: `{ [replicaId]: counter }`, a counter past 2^53 − 1 as a bigint. */
export type Version = Record<string, number | bigint>;

/** How two versions relate (`compareVersions(a, b)`): `'before'` means `a` is stale. */
export type VersionOrder = 'equal' | 'before' | 'after' | 'concurrent';

/** A hybrid logical clock timestamp. */
export interface Timestamp {
  /** Physical milliseconds since the epoch. */
  millis: number;
  /** Logical counter, for writes within one millisecond. */
  logical: number;
}

/** One live write of a register. */
export interface Sibling {
  /** The value written. */
  value: Value;
  /** The writer id (`writerId`) of the replica that wrote it. */
  writer: string;
  /** Its timestamp (`null` for a multi-value register's write). */
  timestamp: Timestamp | null;
}

/** One live write of a last-writer-wins register. */
export interface LwwWrite extends Sibling {
  /** Its timestamp. */
  timestamp: Timestamp;
}

/** How a register's read came out. */
export type Outcome =
  | 'empty'
  | 'single'
  | 'lastWriterWins'
  | 'ambiguous'
  | 'resolved'
  | 'siblings'
  | 'conflict';

/** A document register read under its policy (`Document.read`). */
export interface FieldRead {
  /** The value read (`undefined` when the read settles on none). */
  value: Value | undefined;
  /** How the read came out. */
  outcome: Outcome;
  /** The resolver's name, for `'resolved'` and `'conflict'` outcomes. */
  resolver: string | undefined;
  /** Whether a person should look at it (ambiguous, siblings or conflict). */
  needsAttention: boolean;
  /** Every live write, winner first. */
  siblings: Sibling[];
  /** Writes the field's policy ignores (an authority field's writes by others). */
  ignored: Sibling[];
  /** The field's version: what a conditional write's `ifMatch` takes. */
  version: string;
}

/** The kind of CRDT at a document key. */
export type NodeKind = 'counter' | 'flag' | 'lww' | 'mv' | 'set' | 'map';

/** A field that needs a person (`Document.conflicts`). */
export interface Conflict extends FieldRead {
  /** The field's path. */
  path: string[];
  /** The kinds written at the key (more than one: replicas wrote different kinds). */
  kinds: NodeKind[];
}

/** The read policy of the fields a pattern matches (`Document.setPolicy`). */
export type Policy =
  | {
      /** Last writer wins; writes closer than `skewToleranceMs` read as ambiguous. */
      type: 'lww';
      skewToleranceMs?: number;
    }
  | {
      /** Keep every concurrent write. */
      type: 'siblings';
    }
  | {
      /** A function picks the value at read time. */
      type: 'resolver';
      /** Names the resolver in reads and metrics (default `'resolver'`). */
      name?: string;
      /** Returns the value to read, or `undefined` to leave the conflict unresolved. */
      resolve(siblings: Sibling[]): Value | undefined;
    }
  | {
      /** Only writes by these replicas count. */
      type: 'authority';
      replicas: readonly string[];
    };

/** Options of a document write. */
export interface WriteOptions {
  /** Refuse the write (`ERR_STALE`) unless the field's version is this one. */
  ifMatch?: string;
}

/** Options of `Document.read`. */
export interface ReadOptions {
  /** Read under this policy instead of the field's own. */
  policy?: Policy;
}

/** Counts for one policy and path pattern. */
export interface PolicyMetrics {
  /** The path pattern (`'(default)'` for fields no rule matches). */
  pattern: string;
  /** The policy's label. */
  policy: string;
  /** Fields settled. */
  settled: number;
  /** Fields sent to review. */
  review: number;
  /** Writes ignored. */
  ignored: number;
  /** Writes refused. */
  refused: number;
}

/** The sync state of one peer. */
export interface PeerStatus {
  /** The highest sequence number the peer acknowledged (`null`: none yet). */
  acked: number | null;
  /** Deltas buffered for it. */
  pending: number;
  /** When it was last heard from, in milliseconds (`null`: never). */
  lastHeardMs: number | null;
}

/** Sync metrics (`metrics()`). */
export interface Metrics {
  deltasSent: number;
  fullStatesSent: number;
  fallbacks: number;
  bytesSent: number;
  deltasReceived: number;
  fullStatesReceived: number;
  bytesReceived: number;
  rejected: number;
  conflicts: number;
  dotValueClashes: number;
  bufferDepth: number;
  peers: Record<string, PeerStatus>;
  policies: PolicyMetrics[];
  deadLettersDropped: number;
}

/** Something a replica refused (`deadLetters()`). */
export interface DeadLetter {
  /** A refused local write, or a rejected sync message. */
  kind: 'write' | 'message';
  /** The error code it was refused with. */
  code: ErrorCode;
  /** The error message. */
  message: string;
  /** The replica it came from, if known. */
  origin: string | null;
  /** The path of a refused write, if any. */
  path: string[] | null;
  /** The size of a rejected message, if any. */
  bytes: number | null;
}

/** The `code` of every error converge throws. */
export type ErrorCode =
  | 'ERR_INVALID_ARGUMENT'
  | 'ERR_DECODE'
  | 'ERR_WRONG_TYPE'
  | 'ERR_UNSUPPORTED_VERSION'
  | 'ERR_TOO_DEEP'
  | 'ERR_INVALID_REPLICA_ID'
  | 'ERR_OVERFLOW'
  | 'ERR_SYNC_REJECTED'
  | 'ERR_NOT_AUTHORITY'
  | 'ERR_STALE'
  | 'ERR_ENCODE'
  | 'ERR_NO_RANDOM_SOURCE'
  | 'ERR_USE_AFTER_FREE'
  | 'ERR_INVALID_USE'
  | 'ERR_INSTANCE_LOST'
  | 'ERR_OUT_OF_MEMORY';

/** What converge throws: an `Error` with a stable `code`. */
export interface ConvergeError extends Error {
  /** The stable code. */
  code: ErrorCode;
  /** `ERR_NOT_AUTHORITY` and `ERR_STALE`: the field's path. */
  path?: string[];
  /** `ERR_NOT_AUTHORITY`: the writer refused. */
  writer?: string;
  /** `ERR_STALE`: the field's version now. */
  current?: string;
}
"#;
