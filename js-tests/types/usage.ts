// A user's file: every class and method of converge-crdt, typed as a user would write
// it. types.test.mjs compiles it with `tsc --strict --noEmit` (ESM and bundler
// resolution, no DOM lib) against the packed tarball; it must compile with no error.
import {
  compareVersions,
  Document,
  GCounter,
  LwwRegister,
  MvRegister,
  OrSet,
  PNCounter,
  randomReplicaId,
} from 'converge-crdt';
import type {
  Conflict,
  ConvergeError,
  DeadLetter,
  DocumentChange,
  ErrorCode,
  FieldRead,
  LwwWrite,
  MergeReport,
  Metrics,
  Outcome,
  PeerStatus,
  Policy,
  PolicyMetrics,
  Sibling,
  Value,
  Version,
  VersionOrder,
} from 'converge-crdt';

// The README's example, as written.
const phone = new Document();
const laptop = new Document();
phone.set(['holds', 'h1', 'status'], 'confirmed');
laptop.increment(['holds', 'h1', 'seats'], 2);
const delta = phone.takeDelta();
if (delta) laptop.merge(delta);
const back = laptop.takeDelta();
if (back) phone.merge(back);
const shown: { [key: string]: Value } = phone.toJSON();
console.log(shown);

// Document: writes, with and without options.
const doc = new Document(randomReplicaId());
doc.set('title', 'Hello');
doc.set(['a', 'b'], { nested: [1, 2n, null, true, new Uint8Array([1])] });
doc.setMulti(['m'], 'x');
doc.increment('c');
doc.increment('c', 3);
doc.decrement('c');
doc.decrement('c', 2, { ifMatch: undefined });
doc.addToSet('tags', 'red');
doc.removeFromSet('tags', 'red');
doc.enable('flag');
doc.disable('flag');
// Many writes as one change (one call into the wasm, one delta, one event).
const total: number = doc.change((d: DocumentChange) => {
  d.set(['todo', 't1', 'title'], 'milk');
  d.setMulti('m', 1);
  d.increment('c');
  d.increment('c', 2);
  d.decrement('c');
  d.addToSet('tags', 'red');
  d.removeFromSet('tags', 'blue');
  d.enable('flag');
  d.disable('flag');
  d.remove('gone');
  const seen: Value | undefined = d.get('c');
  const field: FieldRead | undefined = d.read(['todo', 't1', 'title']);
  const all: { [key: string]: Value } = d.toJSON();
  console.log(seen, field?.outcome, all);
  return 3;
});
console.log(total);
const keys: readonly string[] = ['title'];
const read: FieldRead | undefined = doc.read(keys);
if (read) {
  doc.set(keys, 'Bye', { ifMatch: read.version });
  const outcome: Outcome = read.outcome;
  const value: Value | undefined = read.value;
  const attention: boolean = read.needsAttention;
  const siblings: Sibling[] = read.siblings;
  const ignored: Sibling[] = read.ignored;
  const resolver: string | undefined = read.resolver;
  for (const s of siblings) {
    const writer: string = s.writer;
    const millis: number | undefined = s.timestamp?.millis;
    console.log(writer, millis, s.value);
  }
  console.log(outcome, value, attention, ignored, resolver);
}
doc.read('title', { policy: { type: 'lww', skewToleranceMs: 5 } });
doc.remove('title');
const got: Value | undefined = doc.get(['a', 'b']);
console.log(got);

// Policies: every kind.
const policies: Policy[] = [
  { type: 'lww' },
  { type: 'lww', skewToleranceMs: 100 },
  { type: 'siblings' },
  {
    type: 'resolver',
    name: 'longest',
    resolve: (siblings) =>
      siblings.map((s) => s.value).find((v): v is string => typeof v === 'string'),
  },
  { type: 'authority', replicas: [doc.replicaId] },
];
for (const policy of policies) doc.setPolicy(['*'], policy);
doc.setPolicy('title', { type: 'siblings' });

const conflicts: Conflict[] = doc.conflicts();
for (const c of conflicts) console.log(c.path.join('/'), c.kinds, c.outcome);

// Merges report, receive replies.
const other = new Document();
const report: MergeReport = doc.merge(other);
const changed: string[][] = report.changed;
console.log(changed, report.concurrentWrites, report.byPath, report.policies[0]?.verdict);
doc.merge(other.encode());
const hello: Uint8Array = doc.hello(other.replicaId);
const received = other.receive(hello);
const reply: Uint8Array | undefined = received.reply;
if (reply) doc.receive(reply);
const message: Uint8Array | undefined = doc.messageFor(other.replicaId);
const token: Uint8Array | undefined = doc.syncToken(other.replicaId);
if (token) doc.resume(token);
console.log(message);

// Metrics, dead letters, policy metrics.
const metrics: Metrics = doc.metrics();
const sent: number = metrics.deltasSent + metrics.dotValueClashes + metrics.deadLettersDropped;
const perPolicy: PolicyMetrics[] = metrics.policies;
const peer: PeerStatus | undefined = metrics.peers[other.replicaId];
console.log(sent, perPolicy, peer?.acked, doc.policyMetrics()[0]?.settled);
const letters: DeadLetter[] = doc.deadLetters();
for (const l of letters) {
  const code: ErrorCode = l.code;
  console.log(l.kind === 'write' ? l.path : l.bytes, code);
}
doc.clearDeadLetters();

// Versions: literal results.
const version: Version = doc.version();
const order: VersionOrder = compareVersions(version, other.version());
switch (order) {
  case 'equal':
  case 'before':
  case 'after':
  case 'concurrent':
    break;
}

// Save, restore, decode, encode.
const saved = doc.save();
const restored = Document.restore(saved);
const decoded = Document.decode(doc.encodeState());
const decodedAs = Document.decode(doc.encode(), randomReplicaId());
console.log(restored.writerId, decoded.replicaId, decodedAs.replicaId);
restored.free();
decoded.free();
decodedAs.free();

// Errors carry a typed code.
try {
  doc.set([], 1);
} catch (e) {
  const error = e as ConvergeError;
  const code: ErrorCode = error.code;
  if (code === 'ERR_STALE') console.log(error.current);
  if (code === 'ERR_NOT_AUTHORITY') console.log(error.writer, error.path);
}

// Counters.
const g = new GCounter();
g.increment();
g.increment(5);
const gv: number | bigint = g.value;
g.merge(new GCounter().encode());
g.merge(new GCounter());
const gm: number = g.merge(GCounter.decode(g.encode()).encode());
console.log(gv, gm);

const pn = new PNCounter();
pn.increment();
pn.decrement(2);
const pv: number | bigint = pn.value;
console.log(pv);

// Sets.
const set = new OrSet();
set.add('x');
set.add({ id: 1 });
set.remove('x');
const has: boolean = set.has({ id: 1 });
const size: number = set.size;
const values: Value[] = set.values();
set.clear();
console.log(has, size, values);

// Registers.
const lww = new LwwRegister();
lww.set('v');
const lv: Value | undefined = lww.value;
const writes: LwwWrite[] = lww.writes();
const millis: number | undefined = writes[0]?.timestamp.millis;
const ambiguous: boolean = lww.isAmbiguous(10);
console.log(lv, millis, ambiguous);

const mv = new MvRegister();
mv.set([1, 2]);
const mvs: Value[] = mv.values();
const picked: Value | undefined = mv.resolve((siblings) => siblings[0]);
const settled: Value | undefined = mv.resolve((siblings) =>
  siblings.length > 2 ? undefined : siblings.map((s) => String(s.value)).join('+'),
);
console.log(mvs, picked, settled);

// Change events.
const unsubscribe: () => void = doc.subscribe((event) => {
  const paths: string[][] = event.paths;
  const local: boolean = event.local;
  console.log(paths, local, doc.toJSON());
});
unsubscribe();

// The sync session on a plain class.
const a = new GCounter();
const b = new GCounter();
const h = a.hello(b.replicaId);
const r: Uint8Array | undefined = b.receive(h);
if (r) a.receive(r);
const ma: Uint8Array | undefined = a.messageFor(b.replicaId);
console.log(ma, a.takeDelta(), a.version(), a.metrics().bufferDepth, a.deadLetters());
a.clearDeadLetters();
const at = a.syncToken(b.replicaId);
if (at) a.resume(at);
const again = GCounter.restore(a.save());
again.free();

// Explicit resource management.
{
  using scoped = new Document();
  scoped.set('k', 1);
}
for (const c of [g, pn, set, lww, mv, a, b, doc, other, phone, laptop]) c.free();
