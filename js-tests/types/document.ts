// The Document-only entries (converge-crdt/document and its slim entry): the same
// Document types as the main entry; the standalone classes are not there.
import { Document, compareVersions } from 'converge-crdt/document';
import type { MergeReport, Value } from 'converge-crdt/document';
import init, { Document as SlimDocument } from 'converge-crdt/document/slim';

const doc = new Document();
doc.set(['users', 'u1', 'name'], 'Ada');
const report: MergeReport = doc.merge(new Document().encode());
const name: Value | undefined = doc.get(['users', 'u1', 'name']);
console.log(report.concurrentWrites, name, compareVersions(doc.version(), doc.version()));
await init();
console.log(new SlimDocument().encode().length);
// @ts-expect-error the standalone classes are in the main entry only
import { GCounter } from 'converge-crdt/document';
console.log(GCounter);
