// The booking board's data model: where each piece lives in the converge Document, and
// the holds a first run starts with.
//
//   holds/<id>/status       LWW register: 'active' | 'confirmed' | 'released'
//   holds/<id>/expires_at   LWW register: 'YYYY-MM-DDTHH:MM' (sorts as time)
//   holds/<id>/guest        LWW register, counted only from the authority replica
//   holds/<id>/notes        LWW register read as siblings (every concurrent note stays)
//   holds/<id>/seats        counter (concurrent increments add up)
//   holds/<id>/tags         add-wins set
//   replicas/<id>/label     the replica's display name ('A', 'B', ...)
//   replicas/<id>/writers   set of the ids its writes carry (a new one per restart)
//   policy/<field>          the field policies every replica reads with (policy.js)
//   audit                   set of audit entries (audit.js)

export const STATUSES = ['active', 'confirmed', 'released'];

/** The register fields of a hold, in display order. */
export const FIELDS = ['guest', 'status', 'expires_at', 'notes'];

export const holdPath = (hold, field) => ['holds', hold, field];

/** 'YYYY-MM-DDTHH:MM' in local time, `minutes` from now, on a 5-minute grid. */
export function localTime(minutes, now = Date.now()) {
  const d = new Date(Math.round((now + minutes * 60_000) / 300_000) * 300_000);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A short, readable hold id no other replica will pick at the same time. */
export function newHoldId() {
  const bytes = crypto.getRandomValues(new Uint8Array(3));
  return `h-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/** The holds of a first run (written once, by the first replica ever started). */
export function seedHolds(now = Date.now()) {
  return [
    {
      id: 'h1',
      guest: 'Ada Lovelace',
      status: 'active',
      expires_at: localTime(30, now),
      notes: 'window seats if possible',
      seats: 2,
      tags: ['vip'],
    },
    {
      id: 'h2',
      guest: 'Grace Hopper',
      status: 'confirmed',
      expires_at: localTime(90, now),
      notes: 'paid at the desk',
      seats: 4,
      tags: ['group', 'paid'],
    },
    {
      id: 'h3',
      guest: 'Alan Turing',
      status: 'active',
      expires_at: localTime(45, now),
      notes: '',
      seats: 1,
      tags: [],
    },
  ];
}

/** Writes `hold` into `doc` (each field an ordinary write). */
export function writeHold(doc, hold) {
  for (const field of FIELDS) doc.set(holdPath(hold.id, field), hold[field]);
  if (hold.seats) doc.increment(holdPath(hold.id, 'seats'), hold.seats);
  for (const tag of hold.tags) doc.addToSet(holdPath(hold.id, 'tags'), tag);
}

/** The holds as plain rows, sorted by id: `[{ id, ...fields }]`. */
export function holdsOf(doc) {
  const holds = doc.get(['holds']) ?? {};
  return Object.keys(holds)
    .sort()
    .map((id) => ({ id, ...(holds[id] ?? {}) }));
}
