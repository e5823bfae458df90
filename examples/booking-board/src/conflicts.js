// Concurrent writes on the board, as the Document reports them: which hold fields hold
// more than one live write, and the fields needing a person. Ranking, ambiguity and
// what a merge met all come from converge (read(), conflicts(), the merge report);
// this module only selects what the views show.

import { FIELDS, holdsOf, holdPath } from './board.js';

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

/**
 * The fields of a merge report that met concurrent writes or brought ignored ones
 * (what the audit log records), each with its read now: `[{ path, read, writes,
 * verdict }]`.
 */
export function metFields(doc, report) {
  return report.policies.map(({ path, verdict }) => {
    const read = doc.read(path);
    return { path, read, writes: [...(read?.siblings ?? []), ...(read?.ignored ?? [])], verdict };
  });
}

/** The fields needing a person (the inbox), as listed by the Document under its policies. */
export function inboxEntries(doc) {
  return doc.conflicts().filter((c) => c.path[0] === 'holds');
}
