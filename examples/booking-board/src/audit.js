// The audit log: every merge that met concurrent writes and every resolution, kept in
// the document itself (an add-wins set of entries at `audit`), so every replica shows
// the same log once synced.

const AUDIT = ['audit'];

/** Keeps the log readable in a demo that runs for hours. */
export const AUDIT_SHOWN = 50;

function entryId() {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The plain form of a write in an entry: `{ value, by }` (by: a replica label). */
export const describeWrite = (write, labelOf) => ({ value: write.value, by: labelOf(write.writer) });

/**
 * Records that a merge on replica `replica` (a label) met concurrent writes: `fields`
 * is `[{ path, values: [{ value, by }], settled }]`, where `settled` says how the field
 * now reads (the policy's value, or that it needs a person).
 */
export function recordMerge(doc, { replica, fields }) {
  doc.addToSet(AUDIT, {
    id: entryId(),
    at: Date.now(),
    kind: 'conflict',
    replica,
    fields: fields.map((f) => ({ ...f, path: f.path.join('/') })),
  });
}

/** Records that a person on replica `replica` resolved `path` to `chosen`. */
export function recordResolution(doc, { replica, path, replaced, chosen }) {
  doc.addToSet(AUDIT, {
    id: entryId(),
    at: Date.now(),
    kind: 'resolved',
    replica,
    path: path.join('/'),
    values: replaced,
    chosen,
  });
}

/** Every entry, newest first (ties broken by id, so every replica lists the same order). */
export function auditEntries(doc) {
  const entries = doc.get(AUDIT);
  if (!Array.isArray(entries)) return [];
  return entries
    .filter((e) => e && typeof e === 'object' && typeof e.at === 'number')
    .sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : -1));
}
