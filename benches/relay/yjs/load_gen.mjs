// The Yjs side of the relay load bench: CLIENTS Yjs clients (y-websocket's
// WebsocketProvider over `ws`) of one room; in `write` mode the first WRITERS write
// RATE times a second, each setting map key `w-<i>` to the wall clock in µs; every
// client records the delivery latency of each write it sees. Same arguments and
// output as crates/relay/examples/load_gen.rs.
//
//   node load_gen.mjs URL DOC CLIENTS WRITERS RATE SECONDS NAME OUT_FILE MODE
import fs from 'node:fs';
import * as Y from 'yjs';
import { WebsocketProvider } from 'y-websocket';
import WebSocket from 'ws';

const [url, doc, clientsArg, writersArg, rateArg, secondsArg, name, out, mode] = process.argv.slice(2);
const [clients, writers, rate, seconds] = [clientsArg, writersArg, rateArg, secondsArg].map(Number);
const nowMicros = () => Math.round((performance.timeOrigin + performance.now()) * 1000);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
process.setMaxListeners(0);

const all = [];
for (let i = 0; i < clients; i++) {
  const ydoc = new Y.Doc();
  const provider = new WebsocketProvider(url, doc, ydoc, { WebSocketPolyfill: WebSocket, resyncInterval: -1 });
  // No awareness traffic in the measurement: clear the local state at once.
  provider.awareness.setLocalState(null);
  all.push({ ydoc, provider });
  await sleep(2);
}
const deadlineConnect = Date.now() + 60000;
while (Date.now() < deadlineConnect && !all.every((c) => c.provider.synced)) await sleep(50);
const connected = all.filter((c) => c.provider.synced).length;
if (mode === 'idle') {
  console.log(JSON.stringify({ name, connected }));
  await sleep(seconds * 1000);
  process.exit(0);
}
const cpu0 = process.cpuUsage();
const samples = [];
const keys = Array.from({ length: writers }, (_, i) => `w-${i}`);
const deadline = Date.now() + seconds * 1000;
for (const [index, { ydoc }] of all.entries()) {
  const map = ydoc.getMap('t');
  const seen = new Map();
  // A writer does not time its own writes.
  const own = mode === 'write' && index < writers ? `w-${index}` : null;
  ydoc.on('update', () => {
    if (Date.now() > deadline) return;
    const now = nowMicros();
    for (const key of keys) {
      if (key === own) continue;
      const sent = map.get(key);
      if (sent !== undefined && sent !== seen.get(key)) {
        if (seen.has(key)) samples.push(now - sent);
        seen.set(key, sent);
      }
    }
  });
}
const timers = [];
if (mode === 'write') {
  for (let i = 0; i < writers && i < all.length; i++) {
    const map = all[i].ydoc.getMap('t');
    timers.push(setInterval(() => map.set(`w-${i}`, nowMicros()), 1000 / rate));
  }
}
await sleep(seconds * 1000);
timers.forEach(clearInterval);
await sleep(1000);
fs.writeFileSync(out, samples.join('\n') + (samples.length ? '\n' : ''));
const cpu = process.cpuUsage(cpu0);
console.log(JSON.stringify({ name, connected, samples: samples.length, cpu_seconds: (cpu.user + cpu.system) / 1e6 }));
process.exit(0);
