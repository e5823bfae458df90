// Field policies: how each hold field is read when replicas wrote it concurrently.
// The choices live in the document (policy/*), so every replica reads with the same
// ones; `applyPolicies` turns them into Document.setPolicy calls. Policies only change
// reads: merge stays a lattice join, and the losing writes stay readable.

/** The choices per field, first = default, with what the UI says about each. */
export const POLICY_CHOICES = {
  status: {
    resolver: 'resolver: confirmed absorbs; released vs active goes to the inbox',
    lww: 'last writer wins (flagged when inside the skew tolerance)',
    siblings: 'keep every concurrent value',
  },
  expires_at: {
    later: 'resolver: the later expiry wins',
    lww: 'last writer wins (flagged when inside the skew tolerance)',
    siblings: 'keep every concurrent value',
  },
  notes: {
    siblings: 'keep every concurrent note',
    lww: 'last writer wins (flagged when inside the skew tolerance)',
  },
  guest: {
    authority: 'owned by one authority replica: other writes are ignored',
    lww: 'last writer wins (flagged when inside the skew tolerance)',
  },
};

export const DEFAULT_SKEW_MS = 2000;

/** Status: 'confirmed' absorbs anything; equal values agree; otherwise a person decides. */
export function confirmedAbsorbs(siblings) {
  const values = siblings.map((s) => s.value);
  if (values.includes('confirmed')) return 'confirmed';
  if (values.every((v) => v === values[0])) return values[0];
  return undefined; // released vs active: unresolved, so it lands in the inbox
}

/** Expiry: the later time wins ('YYYY-MM-DDTHH:MM' strings sort as times). */
export function laterWins(siblings) {
  const values = siblings.map((s) => s.value).filter((v) => typeof v === 'string');
  if (values.length !== siblings.length) return undefined;
  return values.sort().at(-1);
}

/** The policy settings held in `doc`, with defaults filled in. */
export function policySettings(doc) {
  const stored = doc.get(['policy']) ?? {};
  const settings = { skewMs: DEFAULT_SKEW_MS, authority: null };
  for (const [field, choices] of Object.entries(POLICY_CHOICES)) {
    const value = stored[field];
    settings[field] = typeof value === 'string' && value in choices ? value : Object.keys(choices)[0];
  }
  if (typeof stored.skewMs === 'number' && stored.skewMs >= 0) settings.skewMs = stored.skewMs;
  if (typeof stored.authority === 'string') settings.authority = stored.authority;
  return settings;
}

/** The writer ids of replica `replicaId`, from its registry entry in `doc`. */
export function writersOf(doc, replicaId) {
  const writers = doc.get(['replicas', replicaId, 'writers']);
  return Array.isArray(writers) ? writers.filter((w) => typeof w === 'string') : [];
}

function lww(skewMs) {
  return { type: 'lww', skewToleranceMs: skewMs };
}

/** The converge policy object for `field` under `settings`. */
export function policyFor(doc, field, settings) {
  const choice = settings[field];
  if (choice === 'siblings') return { type: 'siblings' };
  if (choice === 'lww') return lww(settings.skewMs);
  if (field === 'status') return { type: 'resolver', name: 'confirmed absorbs', resolve: confirmedAbsorbs };
  if (field === 'expires_at') return { type: 'resolver', name: 'later expiry wins', resolve: laterWins };
  if (field === 'guest') {
    // The owner's replica id: its writes after a restart (under a fresh writer id of
    // its lineage) count too, and other replicas' local writes are refused.
    return { type: 'authority', replicas: settings.authority ? [settings.authority] : [] };
  }
  return lww(settings.skewMs);
}

/**
 * Sets `doc`'s read policies from the settings it holds. Returns a key that changes
 * whenever the applied policies would, so callers can skip redundant work.
 */
export function applyPolicies(doc, previousKey) {
  const settings = policySettings(doc);
  const key = JSON.stringify(settings);
  if (key === previousKey) return key;
  for (const field of Object.keys(POLICY_CHOICES)) {
    doc.setPolicy(['holds', '*', field], policyFor(doc, field, settings));
  }
  return key;
}
