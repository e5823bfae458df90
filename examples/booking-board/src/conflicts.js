// Concurrent writes on the board: which hold fields hold more than one live write,
// how a last-writer-wins read would order them (clear, or inside the skew tolerance),
// and what changed between two moments (for the audit log).

import { FIELDS, holdsOf, holdPath } from './board.js';

/** Orders writes as LWW does: later timestamp first, then the larger writer id. */
export function byLww(a, b) {
  const ta = a.timestamp ?? { millis: 0, logical: 0 };
  const tb = b.timestamp ?? { millis: 0, logical: 0 };
  return tb.millis - ta.millis || tb.logical - ta.logical || (a.writer < b.writer ? 1 : a.writer > b.writer ? -1 : 0);
}

/**
 * How LWW would settle `writes`: `{ winner, marginMs, ambiguous }`, where ambiguous
 * means the two latest writes are closer together than `skewMs`, so clock skew may
 * have picked the winner. `undefined` for fewer than two timestamped writes.
 */
export function lwwVerdict(writes, skewMs) {
  const stamped = writes.filter((w) => w.timestamp).sort(byLww);
  if (stamped.length < 2) return undefined;
  const marginMs = stamped[0].timestamp.millis - stamped[1].timestamp.millis;
  return { winner: stamped[0], marginMs, ambiguous: marginMs < skewMs };
}

/**
 * Every hold field holding concurrent writes: `[{ path, read, writes }]`, where `writes`
 * are all live writes (the ones the policy counts and the ones it ignored).
 */
export function concurrentFields(doc) {
  const found = [];
  for (const hold of holdsOf(doc)) {
    for (const field of FIELDS) {
      const path = holdPath(hold.id, field);
      const read = doc.read(path);
      if (!read) continue;
      const writes = [...read.siblings, ...read.ignored];
      if (writes.length > 1) found.push({ path, read, writes });
    }
  }
  return found;
}

const writeKey = (w) => `${w.writer}@${w.timestamp ? `${w.timestamp.millis}.${w.timestamp.logical}` : ''}`;

/** path -> a string naming the live writes there, for every concurrent field. */
export function concurrencySignature(doc) {
  const signature = new Map();
  for (const { path, writes } of concurrentFields(doc)) {
    signature.set(path.join('/'), writes.map(writeKey).sort().join(' '));
  }
  return signature;
}

/**
 * The concurrent fields of `doc` that are new, or hold a different set of writes,
 * compared with the signature taken before (what a merge just met).
 */
export function newlyConcurrent(doc, before) {
  return concurrentFields(doc).filter(
    ({ path, writes }) => before.get(path.join('/')) !== writes.map(writeKey).sort().join(' '),
  );
}

/** The fields needing a person (the inbox), as listed by the Document under its policies. */
export function inboxEntries(doc) {
  return doc.conflicts().filter((c) => c.path[0] === 'holds');
}
