// The relay entry: connect a Document (any class) with the ws package or the DOM's
// WebSocket, watch the status, persist in IndexedDB or memory.
import { Document } from 'converge-crdt';
import {
  CLOSE_CODES,
  connect,
  memoryStore,
  persist,
  RELAY_PEER_ID,
  type RelayStatus,
} from 'converge-crdt/relay';

declare const Socket: new (url: string) => {
  binaryType: string;
  send(data: Uint8Array): void;
  close(code?: number): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number }) => void) | null;
  onerror: ((event: unknown) => void) | null;
};

const doc = new Document();
const connection = connect(doc, 'ws://localhost:8787/v1/docs/board', {
  WebSocket: Socket,
  token: async () => 'jwt',
  minDelayMs: 100,
  maxDelayMs: 10_000,
  onStatus: (status: RelayStatus) => console.log(status.state, status.pending, status.lastSyncAt),
});
const unsubscribe = connection.subscribe((s) => {
  if (s.breaker === 'open' || s.reason === 'bad-token') console.log('tell the UI');
});
unsubscribe();
connection.disconnect();
connection.reconnect();
const code: 4401 = CLOSE_CODES.BAD_TOKEN;
console.log(code, RELAY_PEER_ID);

const saved = await persist(Document, 'board', { store: memoryStore() });
const persisted: Document = saved.doc;
persisted.set('k', 'v');
await saved.save();
connect(saved.doc, 'ws://localhost:8787/v1/docs/board', { WebSocket: Socket, persisted: saved });
// Several relay nodes serving the same document (over Redis): the client moves between them.
const nodes = connect(doc, ['ws://node-1:8787/v1/docs/board', { href: 'ws://node-2:8787/v1/docs/board' }], {
  WebSocket: Socket,
});
const where: string = nodes.status.url;
console.log(where);
// @ts-expect-error a URL list holds URLs
connect(doc, ['ws://node-1:8787/v1/docs/board', 8787], { WebSocket: Socket });
// @ts-expect-error connect takes a replica, not a string
connect('board', 'ws://localhost:8787/v1/docs/board');
