// The slim entry: `init()` with no argument (Node reads the file), or with bytes.
import init, { Document, initSync } from 'converge-crdt/slim';
import type { Value } from 'converge-crdt/slim';

await init();
await init(new Uint8Array([0]));
await init({ module_or_path: new ArrayBuffer(8) });
initSync({ module: new Uint8Array([0]) });
const doc = new Document();
doc.set('k', 'v');
const got: Value | undefined = doc.get('k');
console.log(got);
// @ts-expect-error init takes a URL, a Response, bytes or a module
await init(42);
