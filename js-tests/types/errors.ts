// Deliberate mistakes: each line below must be a type error (an unused
// `@ts-expect-error` fails the compile), so the declarations are not `any`.
import { compareVersions, Document, GCounter, LwwRegister, MvRegister, OrSet } from 'converge-crdt';
import type { ErrorCode, Policy, VersionOrder } from 'converge-crdt';

const doc = new Document();
// @ts-expect-error a path is a string or an array of strings
doc.set(1, 'x');
// @ts-expect-error a function is not a value
doc.set('k', () => 1);
// @ts-expect-error undefined is not a value
doc.set('k', undefined);
// @ts-expect-error a Date is not a plain value
doc.addToSet('k', new Date());
// @ts-expect-error a change's writes take values
doc.change((d) => d.set('k', new Date()));
// @ts-expect-error a change's increment takes a number
doc.change((d) => d.increment('c', '5'));
// @ts-expect-error a change takes a function
doc.change({ set: 1 });
// @ts-expect-error ifMatch is a version string
doc.set('k', 1, { ifMatch: 1 });
// @ts-expect-error write options have no such field
doc.set('k', 1, { ifmatch: 'v' });
// @ts-expect-error increment takes a number
doc.increment('c', '5');
// @ts-expect-error get returns a Value, not anything
doc.get('k').toUpperCase();
// @ts-expect-error toJSON's fields are Values
doc.toJSON().x.y;
// @ts-expect-error a FieldRead has no such field
doc.read('k')?.versoin;
// @ts-expect-error read options take a Policy
doc.read('k', { policy: { type: 'lvv' } });
// @ts-expect-error a policy type is one of four
doc.setPolicy(['*'], { type: 'last-writer-wins' });
// @ts-expect-error skewToleranceMs is a number
doc.setPolicy(['*'], { type: 'lww', skewToleranceMs: '5' });
// @ts-expect-error a resolver policy needs resolve
doc.setPolicy(['*'], { type: 'resolver', name: 'r' });
// @ts-expect-error authority replicas are strings
const bad: Policy = { type: 'authority', replicas: [1] };
// @ts-expect-error conflicts hold Conflicts
doc.conflicts()[0]?.paht;
// @ts-expect-error metrics have no such field
doc.metrics().deltaSent;
// @ts-expect-error dead letters have no such field
doc.deadLetters()[0]?.reason;
// @ts-expect-error a dead letter's kind is 'write' or 'message'
const kind: 'write' = doc.deadLetters()[0]!.kind;
// @ts-expect-error merge reports hold paths as string arrays
const changed: string = doc.merge(new Document()).changed[0];
// @ts-expect-error an error code is one of the union
const code: ErrorCode = 'ERR_NOPE';
// @ts-expect-error compareVersions returns a literal union
const order: 'same' = compareVersions({}, {});
// @ts-expect-error versions map ids to numbers or bigints
compareVersions({ a: '1' }, {});
const ok: VersionOrder = compareVersions({}, {});
// @ts-expect-error a replica id is a string
new GCounter(1);
// @ts-expect-error merge takes bytes or an object of the same class
new GCounter().merge(new OrSet());
// @ts-expect-error an OrSet holds Values
new OrSet().add(Symbol('x'));
// @ts-expect-error the value of a register is a Value
new LwwRegister().value.foo;
// @ts-expect-error resolve gets Sibling objects, not strings
new MvRegister().resolve((siblings) => siblings[0].toUpperCase());
// @ts-expect-error a change event's paths are arrays of keys
doc.subscribe((event) => event.paths[0].toUpperCase());
// @ts-expect-error receive takes bytes
doc.receive('hello');
console.log(bad, kind, changed, code, order, ok);
