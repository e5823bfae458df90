// Hostile input through the npm package, at every entry point that takes bytes
// (decode, merge, receive, restore, resume) of every class:
//   - nesting 100,000 levels deep: a coded error (ERR_TOO_DEEP where a real value is
//     stretched that deep), no stack overflow;
//   - length prefixes of 0xFFFFFFFF for strings, binaries, arrays and maps in inputs
//     under 16 bytes: a coded error, the wasm memory growing by under 1 MiB;
//   - 1 MiB of random bytes: a coded error in well under 100 ms;
//   - sync messages from the receiver's own id, or claiming absurd sequence numbers,
//     epochs or counts: rejected, or taken without corrupting the state.
// After every rejected input the object's encode() and save() bytes are unchanged.
//
// Memory: the package does not expose its wasm memory; wasm-memory.mjs captures it as
// the package instantiates, and `grew` is how many bytes memory.buffer grew during
// the call. (Wasm memory never shrinks: an allocation that fits in memory already
// grown is not seen, so the figure bounds what the call needed beyond the free heap.)
// CONVERGE_HOSTILE_TABLE=1 prints every input's result, growth and time.
import './wasm-memory.mjs';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertCoded, converge, hex, ids, prng, replyOf, syncLossy } from './helpers.mjs';
import { measure } from './wasm-memory.mjs';

const { GCounter, PNCounter, OrSet, LwwRegister, MvRegister, Document } = converge;
const CLASSES = { GCounter, PNCounter, OrSet, LwwRegister, MvRegister, Document };
const MIB = 1 << 20;
const DEEP = 100_000;
const table = process.env.CONVERGE_HOSTILE_TABLE ? [] : undefined;
process.on('exit', () => table && console.log(table.join('\n')));

/** A value nested `levels` arrays deep. */
function nested(levels) {
  let v = 1;
  for (let i = 0; i < levels; i++) v = [v];
  return v;
}

/** An object of `Class` with a few writes (a value nested 20 deep where it holds values). */
function sample(name, Class, id) {
  const x = new Class(id);
  switch (name) {
    case 'GCounter':
      x.increment(3);
      break;
    case 'PNCounter':
      x.increment(300);
      x.decrement(70_000);
      break;
    case 'OrSet':
      x.add('milk');
      x.add(nested(20));
      break;
    case 'LwwRegister':
    case 'MvRegister':
      x.set(nested(20));
      break;
    default:
      x.set(['cart', 'items'], nested(20));
      x.increment(['cart', 'n'], 2);
      x.addToSet('tags', 'x');
  }
  return x;
}

/** Every entry point of `Class` that takes bytes: [name, valid bytes, call, target]. */
function entries(name, Class) {
  const sender = sample(name, Class, ids.a);
  const target = sample(name, Class, ids.b);
  const peer = new Class(ids.c);
  peer.receive(sender.messageFor(ids.c));
  const token = peer.syncToken(ids.a);
  const free = (o) => o.free();
  return [
    ['decode', sender.encode(), (b) => free(Class.decode(b))],
    ['merge', sender.encode(), (b) => target.merge(b)],
    ['receive', sender.messageFor(ids.b), (b) => target.receive(b)],
    ['restore', sender.save(), (b) => free(Class.restore(b))],
    ['resume', token, (b) => target.resume(b)],
  ].map(([entry, valid, call]) => ({ name: `${name}.${entry}`, valid, call, target }));
}

/** What a rejected input must leave as it was. */
const fingerprint = (o) => hex(o.encode()) + hex(o.save());

/** Feeds `bytes`, which must be refused with a coded error, leaving the target as it was. */
function refused(entry, what, bytes, code) {
  const before = fingerprint(entry.target);
  const m = measure(() => entry.call(bytes));
  assertCoded(() => {
    throw m.outcome;
  }, code);
  assert.equal(fingerprint(entry.target), before, `${entry.name}: ${what} changed the object`);
  table?.push(
    `| ${entry.name} | ${what} (${bytes.length} B) | ${m.outcome.code} | +${m.grew} B wasm, +${m.arrayBuffers} B JS | ${m.ms.toFixed(2)} ms |`,
  );
  return m;
}

/**
 * `valid` with its run of 20+ one-element arrays stretched to `levels`, or undefined.
 * A one-element array is 0x91 in MessagePack, and 0xc3 in a packed body (the rest of a
 * Document's encoding, after its scalar fields: OrMap format version 4).
 */
function deepen(valid, levels) {
  for (const one of [0x91, 0xc3]) {
    const at = hex(valid).indexOf(one.toString(16).repeat(20));
    if (at < 0 || at % 2 !== 0) continue;
    let end = at / 2;
    while (valid[end] === one) end++;
    return new Uint8Array([...valid.slice(0, at / 2), ...new Array(levels).fill(one), ...valid.slice(end)]);
  }
  return undefined;
}

const ALL = () => Object.entries(CLASSES).flatMap(([name, Class]) => entries(name, Class));

describe('hostile input at every entry point', () => {
  test('each entry accepts its valid input (the control)', () => {
    for (const entry of ALL()) entry.call(entry.valid);
  });

  test('nesting 100,000 levels deep: a coded error, no stack overflow', () => {
    let stretched = 0;
    for (const entry of ALL()) {
      for (const byte of [0x91, 0x81]) {
        const bytes = new Uint8Array(3 + DEEP).fill(byte);
        bytes.set(entry.valid.slice(0, 3));
        const m = refused(entry, `${DEEP} nested ${byte === 0x91 ? 'arrays' : 'maps'}`, bytes);
        assert.ok(m.grew < MIB, `${entry.name}: grew ${m.grew} B`);
      }
      const deep = deepen(entry.valid, DEEP);
      if (deep !== undefined) {
        const m = refused(entry, 'a real encoding nested 100,000 deep', deep, 'ERR_TOO_DEEP');
        assert.ok(m.grew < MIB, `${entry.name}: grew ${m.grew} B`);
        stretched++;
      }
    }
    // Four classes hold values, at four entry points each (a token holds none).
    assert.equal(stretched, 16);
  });

  test('length prefixes of 0xFFFFFFFF in inputs under 16 bytes: refused, memory grows under 1 MiB', () => {
    let inputs = 0;
    let most = 0;
    for (const entry of ALL()) {
      for (let cut = 0; cut <= Math.min(10, entry.valid.length); cut++) {
        for (const [marker, kind] of [[0xdb, 'string'], [0xc6, 'binary'], [0xdd, 'array'], [0xdf, 'map']]) {
          const bytes = new Uint8Array([...entry.valid.slice(0, cut), marker, 0xff, 0xff, 0xff, 0xff]);
          assert.ok(bytes.length < 16);
          const m = refused(entry, `${kind} of 0xFFFFFFFF after ${cut} bytes`, bytes);
          assert.ok(m.grew < MIB, `${entry.name}: grew ${m.grew} B`);
          most = Math.max(most, m.grew);
          inputs++;
        }
      }
    }
    assert.ok(inputs > 1200, `${inputs} inputs`); // 30 entries, up to 11 cuts, 4 markers
    table?.push(`${inputs} inputs with huge length prefixes; most wasm growth: ${most} B`);
  });

  test('1 MiB of random bytes: a coded error in well under 100 ms', () => {
    const random = prng(2026);
    let slowest = 0;
    for (const entry of ALL()) {
      for (const enveloped of [false, true]) {
        const bytes = new Uint8Array(MIB).map(() => Math.floor(random() * 256));
        if (enveloped) bytes.set(entry.valid.slice(0, 3));
        const m = refused(entry, enveloped ? 'its envelope, then 1 MiB of noise' : '1 MiB of noise', bytes);
        assert.ok(m.ms < 100, `${entry.name}: ${m.ms} ms`);
        slowest = Math.max(slowest, m.ms);
      }
    }
    table?.push(`slowest refusal of 1 MiB: ${slowest.toFixed(2)} ms`);
  });
});

// The sync message wire form: the envelope, then [tag, sender, epoch, kind, …numbers,
// payload]; enough to read and rewrite the numbers of a real message.
function readUint(bytes, at) {
  const first = bytes[at];
  if (first < 0x80) return [BigInt(first), at + 1];
  const width = { 0xcc: 1, 0xcd: 2, 0xce: 4, 0xcf: 8 }[first];
  assert.ok(width, `not an unsigned integer: ${first.toString(16)}`);
  let n = 0n;
  for (let i = 1; i <= width; i++) n = (n << 8n) | BigInt(bytes[at + i]);
  return [n, at + 1 + width];
}

function writeUint(n) {
  if (n < 0x80n) return [Number(n)];
  const out = [0xcf];
  for (let i = 7; i >= 0; i--) out.push(Number((n >> BigInt(8 * i)) & 0xffn));
  return out;
}

function parseMessage(bytes) {
  const count = bytes[3] & 0x0f;
  let at = 4;
  const fields = [];
  // tag, sender, epoch, kind, then the numbers: the payload (if any) is the rest.
  const numbers = { 0: 2, 1: 1, 2: 2, 3: 2 };
  for (let i = 0; i < 4; i++) {
    const [n, next] = readUint(bytes, at);
    fields.push(n);
    at = next;
  }
  const kind = Number(fields[3]);
  for (let i = 0; i < numbers[kind]; i++) {
    const [n, next] = readUint(bytes, at);
    fields.push(n);
    at = next;
  }
  return { count, fields, payload: bytes.slice(at) };
}

function buildMessage(envelope, { count, fields, payload }) {
  return new Uint8Array([...envelope, 0x90 | count, ...fields.flatMap(writeUint), ...payload]);
}

/**
 * Three rounds each way over a perfect network, whether or not the pair falls quiet.
 * A reply the sender rejects (an ack beyond what it sent, after a forged interval)
 * is dropped; honest messages must be accepted.
 */
function exchange(a, b) {
  for (let round = 0; round < 3; round++) {
    for (const [from, to] of [[a, b], [b, a]]) {
      const message = from.messageFor(to.replicaId);
      if (message === undefined) continue;
      const reply = replyOf(to.receive(message));
      if (reply === undefined) continue;
      try {
        from.receive(reply);
      } catch (e) {
        assert.equal(e.code, 'ERR_SYNC_REJECTED', e.message);
      }
    }
  }
}

describe('hostile sync messages', () => {
  test('a message from the receiver\'s own id is rejected and changes nothing', () => {
    for (const [name, Class] of Object.entries(CLASSES)) {
      const receiver = sample(name, Class, ids.b);
      const twin = sample(name, Class, ids.b); // another object claiming the same id
      for (const message of [twin.messageFor(ids.a), twin.hello(ids.a)]) {
        const entry = { name: `${name}.receive`, target: receiver, call: (b) => receiver.receive(b) };
        refused(entry, 'a message from its own id', message, 'ERR_SYNC_REJECTED');
      }
      assert.equal(receiver.metrics().rejected, 2);
    }
  });

  test('absurd sequence numbers and epochs: rejected unchanged, or taken without losing a write', () => {
    const MAX = (1n << 64n) - 1n;
    const forgeries = [
      ['an interval 0..2^64-1', (m) => m.fields.splice(4, 2, 0n, MAX)],
      ['an interval 2^64-1..2^64-1', (m) => m.fields.splice(4, 2, MAX, MAX)],
      ["the sender's epoch 2^64-1", (m) => m.fields.splice(2, 1, MAX)],
      ["the sender's epoch 0", (m) => m.fields.splice(2, 1, 0n)],
    ];
    for (const [what, forge] of forgeries) {
      const a = sample('Document', Document, ids.a);
      const b = sample('Document', Document, ids.b);
      syncLossy([a, b], { drop: 0, duplicate: 0 });
      a.set('after', 1); // A's next message to B is a delta interval
      const real = a.messageFor(ids.b);
      const message = parseMessage(real);
      assert.equal(message.fields[3], 0n, 'a delta');
      forge(message);
      const before = fingerprint(b);
      try {
        b.receive(buildMessage(real.slice(0, 3), message));
      } catch (e) {
        assertCoded(() => {
          throw e;
        });
        assert.equal(fingerprint(b), before, `${what}: rejected, yet changed B`);
      }
      // Honest sync goes on: later writes of both sides reach both.
      for (let n = 0; n < 3; n++) {
        a.set(['a', `${n}`], n);
        b.set(['b', `${n}`], n);
        exchange(a, b);
        assert.deepEqual(a.toJSON(), b.toJSON(), what);
        assert.equal(b.toJSON().a[n], n, `${what}: A's write lost`);
        assert.equal(a.toJSON().b[n], n, `${what}: B's write lost`);
      }
    }
  });

  test('a state claiming a count of 2^64-1 merges, reads exactly, and counting on stays exact', () => {
    const forger = new Uint8Array([0xfe, 0xed, 0, 0, 0, 0, 0, 1]);
    const state = new Uint8Array([0xc1, 1, 1, 0x81, 0xcf, ...forger, 0xcf, ...new Array(8).fill(0xff)]);
    const g = new GCounter(ids.b);
    g.increment(5);
    g.merge(state);
    assert.equal(g.value, (1n << 64n) - 1n + 5n);
    g.increment(2);
    assert.equal(g.value, (1n << 64n) - 1n + 7n);
  });
});
