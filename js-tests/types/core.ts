// The core entries (converge-crdt/core and its slim entry): the document alone. Writes
// of every kind, reads, encode/decode, takeDelta and merge; no sync, merge report,
// policies, events or change().
import { Document, compareVersions, randomReplicaId } from 'converge-crdt/core';
import type { Path, Value, Version, VersionOrder } from 'converge-crdt/core';
import init, { Document as SlimDocument, initSync } from 'converge-crdt/core/slim';
import type { InitInput, Value as SlimValue } from 'converge-crdt/core/slim';
import type { MergeReport } from 'converge-crdt';

const a = new Document();
const b = new Document(randomReplicaId());
const id: string = a.replicaId;
const path: Path = ['users', 'u1', 'name'];
a.set(path, 'Ada');
a.setMulti('note', { text: 'hi', tags: ['x'], at: 1n, raw: new Uint8Array([1]) });
a.increment(['users', 'u1', 'visits']);
a.increment(['users', 'u1', 'visits'], 2);
a.decrement(['users', 'u1', 'visits']);
a.decrement(['users', 'u1', 'visits'], 1);
a.addToSet(['tags'], 'admin');
a.removeFromSet(['tags'], 'admin');
a.enable(['flags', 'beta']);
a.disable(['flags', 'beta']);
a.remove(['users', 'u2']);
const delta: Uint8Array | undefined = a.takeDelta();
if (delta !== undefined) b.merge(delta);
b.merge(a);
const merged: void = b.merge(a.encode());
const c: Document = Document.decode(b.encode());
const d: Document = Document.decode(b.encode(), id);
const name: Value | undefined = c.get(path);
const whole: { [key: string]: Value } = d.toJSON();
const version: Version = a.version();
const order: VersionOrder = compareVersions(version, b.version());
console.log(merged, name, whole, order);
c.free();
{
  using e = new Document();
  e.set('k', null);
}

await init();
await init(new Uint8Array([0]));
const input: InitInput = new ArrayBuffer(8);
await init({ module_or_path: input });
initSync({ module: new Uint8Array([0]) });
const slim = new SlimDocument();
slim.set('k', 'v');
const got: SlimValue | undefined = slim.get('k');
slim.merge(new SlimDocument().encode());
console.log(got, slim.takeDelta()?.length);

// None of the full Document's sync, batching or reports.
// @ts-expect-error the core Document has no change()
a.change(() => {});
// @ts-expect-error the core Document has no receive()
a.receive(new Uint8Array());
// @ts-expect-error the core Document has no messageFor()
a.messageFor(b.replicaId);
// @ts-expect-error the core Document has no read() (reads under policies)
a.read('k');
// @ts-expect-error the core Document has no subscribe()
a.subscribe(() => {});
// @ts-expect-error the core Document has no setPolicy()
a.setPolicy('k', { type: 'siblings' });
// @ts-expect-error merge() returns void, not a MergeReport
const report: MergeReport = a.merge(b.encode());
// @ts-expect-error merge() returns void: no report to read
console.log(a.merge(b).concurrentWrites);
// @ts-expect-error nor does the slim entry's Document have receive()
slim.receive(new Uint8Array());
// @ts-expect-error the core entries export no MergeReport
import type { MergeReport as CoreMergeReport } from 'converge-crdt/core';
// @ts-expect-error the standalone classes are in the main entry only
import { GCounter } from 'converge-crdt/core';
// @ts-expect-error nor in the core slim entry
import { OrSet } from 'converge-crdt/core/slim';
// @ts-expect-error writes take a Path and a Value
a.set(['k'], () => 1);
// @ts-expect-error decode takes bytes
Document.decode('bytes');
console.log(report, GCounter, OrSet, null as unknown as CoreMergeReport);
