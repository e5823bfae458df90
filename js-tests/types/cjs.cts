// A CommonJS user (`require`, under --module node16): the types come from index.d.cts.
import { compareVersions, Document } from 'converge-crdt';
import type { FieldRead, VersionOrder } from 'converge-crdt';

const doc = new Document();
doc.set('k', 1);
const read: FieldRead | undefined = doc.read('k');
const order: VersionOrder = compareVersions(doc.version(), doc.version());
console.log(read?.version, order);
doc.free();
