// Which stored replicas this tab runs. A tab asks for `count` replicas: first the ones
// it ran before a reload (sessionStorage), then stored ones no other open tab holds
// (Web Locks: a tab holds a lock per replica until it closes), then new ones. So a
// reload gets its replicas back, a new tab adopts replicas of closed tabs, and two
// open tabs never run the same replica (one id writing in two places would break the
// promise that every write has a unique name).

const CLAIMS_LOCK = 'converge-booking-board:claims';
const SESSION_KEY = 'converge-booking-board:replicas';

/** Holds the lock `name` for the life of the page if it is free; resolves whether it got it. */
function holdIfFree(name) {
  return new Promise((resolve) => {
    navigator.locks
      .request(name, { ifAvailable: true }, (lock) => {
        resolve(lock !== null);
        return lock === null ? undefined : new Promise(() => {}); // never released
      })
      .catch(() => resolve(false));
  });
}

/** A label for the n-th replica: 'A', 'B', ... 'Z', 'AA', ... */
export function labelFor(n) {
  let label = '';
  for (let k = n; k >= 0; k = Math.floor(k / 26) - 1) label = String.fromCharCode(65 + (k % 26)) + label;
  return label;
}

/**
 * Claims `count` replicas for this tab and returns their records. Stored records come
 * back as they were saved; for each missing one, `create(label, firstRun)` must make,
 * save and return a new record (it runs under the claims lock, so two tabs opened at
 * once never both think they are the first run). `firstRun` is true only for the very
 * first replica ever stored: it writes the seed data.
 */
export async function claimReplicas(store, count, create) {
  const records = await navigator.locks.request(CLAIMS_LOCK, async () => {
    const stored = await store.all();
    const before = JSON.parse(sessionStorage.getItem(SESSION_KEY) ?? '[]');
    const rank = (r) => (before.includes(r.id) ? before.indexOf(r.id) - before.length : r.createdAt);
    const claimed = [];
    for (const record of stored.slice().sort((a, b) => rank(a) - rank(b))) {
      if (claimed.length === count) break;
      if (await holdIfFree(`converge-booking-board:replica:${record.id}`)) claimed.push(record);
    }
    let next = stored.length;
    while (claimed.length < count) {
      const record = await create(labelFor(next), next === 0);
      next++;
      await holdIfFree(`converge-booking-board:replica:${record.id}`);
      claimed.push(record);
    }
    return claimed;
  });
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(records.map((r) => r.id)));
  return records;
}
