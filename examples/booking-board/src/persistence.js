// IndexedDB: one record per replica, keyed by its id:
//   { id, label, saved: Uint8Array (Document.save(): state and sync positions),
//     outbox: [{ at, bytes: Uint8Array, what }] (deltas written, not yet acknowledged),
//     online, totals: { bytesSent, bytesReceived, conflicts }, lastSyncAt, createdAt }
// Every change is written in one transaction, so state and queue never disagree.

const DB_NAME = 'converge-booking-board';
const STORE = 'replicas';

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/** Opens (creating on first use) the database. */
export async function openStore() {
  const open = indexedDB.open(DB_NAME, 1);
  open.onupgradeneeded = () => open.result.createObjectStore(STORE, { keyPath: 'id' });
  const db = await request(open);
  const tx = (mode) => db.transaction(STORE, mode).objectStore(STORE);
  return {
    /** Every stored replica record. */
    all: () => request(tx('readonly').getAll()),
    /** Writes a record; resolves once the transaction committed. */
    put(record) {
      const t = db.transaction(STORE, 'readwrite');
      t.objectStore(STORE).put(record);
      return new Promise((resolve, reject) => {
        t.oncomplete = () => resolve();
        t.onerror = () => reject(t.error);
        t.onabort = () => reject(t.error);
      });
    },
  };
}

/**
 * Serialises saves of one record: each change asks for a save; at most one write is in
 * flight and the last state asked for is always the one written last.
 */
export function saver(store, snapshot, onSaved) {
  let running = null;
  let again = false;
  const run = async () => {
    try {
      do {
        again = false;
        await store.put(snapshot());
      } while (again);
      onSaved(null);
    } catch (error) {
      onSaved(error);
    } finally {
      running = null;
    }
  };
  return () => {
    if (running) again = true;
    else running = run();
    return running;
  };
}
