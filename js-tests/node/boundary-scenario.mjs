// The hostile-value scenario of the boundary suites, shared by Node
// (boundary.test.mjs) and Chromium (browser/boundary.test.mjs): it imports nothing, and
// takes the package's exports as an argument.
//
// Every kind of JavaScript value that throws while it is read (a revoked Proxy, an
// array whose item getter throws, Proxies whose ownKeys / getPrototypeOf / get / has
// traps throw, an object with throwing getters, an object whose toString and
// Symbol.toPrimitive throw, a detached ArrayBuffer) goes to every method that takes a value, a path, bytes,
// a string, a number, a function, options or a version, round after round. Each call
// must either throw a coded Error (`code` a string starting `ERR_`) or, where the
// value is legitimately readable (the `has` trap is never asked), succeed; after each
// kind the objects must still work, and the wasm memory must stay flat after warm-up.

const boom = () => {
  throw new Error('hostile');
};

/** name -> a function making a fresh hostile value. */
export const HOSTILE = {
  revokedProxy: () => {
    const r = Proxy.revocable({}, {});
    r.revoke();
    return r.proxy;
  },
  arrayItemGetterThrows: () => Object.defineProperty(['a', 'b'], 1, { get: boom }),
  ownKeysTrapThrows: () => new Proxy({ a: 1 }, { ownKeys: boom }),
  getPrototypeOfTrapThrows: () => new Proxy({ a: 1 }, { getPrototypeOf: boom }),
  getTrapThrows: () => new Proxy({ a: 1 }, { get: boom }),
  getTrapThrowsOnArray: () => new Proxy(['a'], { get: boom }),
  hasTrapThrows: () => new Proxy({ a: 1 }, { has: boom }),
  throwingGetters: () => {
    const o = {};
    for (const name of ['a', 'ifMatch', 'policy', 'type', 'encode', 'skewToleranceMs']) {
      Object.defineProperty(o, name, { get: boom, enumerable: true });
    }
    return o;
  },
  throwingToPrimitive: () => ({ toString: boom, valueOf: boom, [Symbol.toPrimitive]: boom }),
  detachedArrayBuffer: () => {
    const buffer = new ArrayBuffer(8);
    structuredClone(buffer, { transfer: [buffer] });
    return buffer;
  },
};

/** Kinds whose value reads without any throw (the `has` trap is never asked). */
const READABLE = new Set(['hasTrapThrows']);

/**
 * The calls: [name, role, (objects, hostile) => void]. Roles that every unreadable kind
 * must fail: value, path, bytes, string, number, function. Options, policies and
 * versions may take some kinds as legitimate (an object whose other keys throw).
 */
function calls(c) {
  const ok = 'ok';
  return [
    ['Document.set value', 'value', (o, x) => o.doc.set(['k'], x)],
    ['Document.set path', 'path', (o, x) => o.doc.set(x, 1)],
    ['Document.set options', 'options', (o, x) => o.doc.set(['k'], 1, x)],
    ['Document.setMulti value', 'value', (o, x) => o.doc.setMulti(['m'], x)],
    ['Document.setMulti path', 'path', (o, x) => o.doc.setMulti(x, 1)],
    ['Document.increment path', 'path', (o, x) => o.doc.increment(x)],
    ['Document.increment n', 'number', (o, x) => o.doc.increment(['n'], x)],
    ['Document.decrement n', 'number', (o, x) => o.doc.decrement(['n'], x)],
    ['Document.decrement path', 'path', (o, x) => o.doc.decrement(x, 1)],
    ['Document.addToSet value', 'value', (o, x) => o.doc.addToSet(['s'], x)],
    ['Document.addToSet path', 'path', (o, x) => o.doc.addToSet(x, ok)],
    ['Document.removeFromSet value', 'value', (o, x) => o.doc.removeFromSet(['s'], x)],
    ['Document.enable path', 'path', (o, x) => o.doc.enable(x)],
    ['Document.disable path', 'path', (o, x) => o.doc.disable(x)],
    ['Document.remove path', 'path', (o, x) => o.doc.remove(x)],
    ['Document.remove options', 'options', (o, x) => o.doc.remove(['gone'], x)],
    ['Document.change set value', 'value', (o, x) => o.doc.change((d) => { d.set(['k'], 'ok'); d.set(['k2'], x); })],
    ['Document.change path', 'path', (o, x) => o.doc.change((d) => d.increment(x))],
    ['Document.change increment n', 'number', (o, x) => o.doc.change((d) => d.increment(['n'], x))],
    ['Document.change addToSet value', 'value', (o, x) => o.doc.change((d) => d.addToSet(['s'], x))],
    ['Document.change get path', 'path', (o, x) => o.doc.change((d) => { d.set(['k'], 'ok'); d.get(x); })],
    ['Document.change function', 'function', (o, x) => o.doc.change(x)],
    ['Document.__applyChange kinds', 'bytes', (o, x) => o.doc.__applyChange(x, new Uint32Array([0]), [['k']], [1], new Float64Array(0), true)],
    ['Document.__applyChange path indices', 'bytes', (o, x) => o.doc.__applyChange(new Uint8Array([0]), x, [['k']], [1], new Float64Array(0), true)],
    ['Document.__applyChange paths', 'path', (o, x) => o.doc.__applyChange(new Uint8Array([0]), new Uint32Array([0]), x, [1], new Float64Array(0), true)],
    ['Document.__applyChange values', 'value', (o, x) => o.doc.__applyChange(new Uint8Array([0]), new Uint32Array([0]), [['k']], x, new Float64Array(0), true)],
    ['Document.__applyChange packed text', 'options', (o, x) => o.doc.__applyChange(new Uint8Array([32]), new Uint32Array([0]), ['1:k'], [1], new Float64Array(0), true, x)],
    ['Document.__applyChange numbers', 'bytes', (o, x) => o.doc.__applyChange(new Uint8Array([16]), new Uint32Array([0]), [['k']], [], x, true)],
    ['Document.get path', 'path', (o, x) => o.doc.get(x)],
    ['Document.read path', 'path', (o, x) => o.doc.read(x)],
    ['Document.read options', 'options', (o, x) => o.doc.read(['k'], x)],
    ['Document.setPolicy pattern', 'path', (o, x) => o.doc.setPolicy(x, { type: 'lww' })],
    ['Document.setPolicy policy', 'options', (o, x) => o.doc.setPolicy(['p'], x)],
    ['Document.merge', 'bytes', (o, x) => o.doc.merge(x)],
    ['Document.receive', 'bytes', (o, x) => o.doc.receive(x)],
    ['Document.resume', 'bytes', (o, x) => o.doc.resume(x)],
    ['Document.messageFor', 'string', (o, x) => o.doc.messageFor(x)],
    ['Document.hello', 'string', (o, x) => o.doc.hello(x)],
    ['Document.syncToken', 'string', (o, x) => o.doc.syncToken(x)],
    ['Document.decode', 'bytes', (o, x) => c.Document.decode(x)],
    ['Document.restore', 'bytes', (o, x) => c.Document.restore(x)],
    ['new Document', 'string', (o, x) => new c.Document(x)],
    ['LwwRegister.set', 'value', (o, x) => o.lww.set(x)],
    ['LwwRegister.isAmbiguous', 'number', (o, x) => o.lww.isAmbiguous(x)],
    ['MvRegister.set', 'value', (o, x) => o.mv.set(x)],
    ['MvRegister.resolve', 'function', (o, x) => o.mv.resolve(x)],
    ['OrSet.add', 'value', (o, x) => o.set.add(x)],
    ['OrSet.remove', 'value', (o, x) => o.set.remove(x)],
    ['OrSet.has', 'value', (o, x) => o.set.has(x)],
    ['OrSet.merge', 'bytes', (o, x) => o.set.merge(x)],
    ['GCounter.increment', 'number', (o, x) => o.gc.increment(x)],
    ['PNCounter.decrement', 'number', (o, x) => o.pn.decrement(x)],
    ['PNCounter.receive', 'bytes', (o, x) => o.pn.receive(x)],
    ['compareVersions', 'version', (o, x) => c.compareVersions(x, {})],
  ];
}

const MUST_THROW = new Set(['value', 'path', 'bytes', 'string', 'number', 'function']);

function isCoded(e) {
  return e instanceof Error && typeof e.code === 'string' && e.code.startsWith('ERR_');
}

/**
 * Runs `iterations` calls per hostile kind (cycling through the calls) and returns
 * `{ kinds: { [kind]: { calls, accepted, growth } }, failures: string[] }`: a
 * failure is a call that threw something uncoded, a call that should have thrown
 * and did not, or an object that stopped working.
 */
export function runHostile(c, { iterations = 100_000, warmup = 10_000 } = {}) {
  const list = calls(c);
  const failures = [];
  const kinds = {};
  const fail = (text) => {
    if (failures.length < 50) failures.push(text);
  };
  for (const [kind, make] of Object.entries(HOSTILE)) {
    const o = {
      doc: new c.Document(),
      lww: new c.LwwRegister(),
      mv: new c.MvRegister(),
      set: new c.OrSet(),
      gc: new c.GCounter(),
      pn: new c.PNCounter(),
    };
    o.doc.set(['k'], 'before');
    o.mv.set('x');
    o.mv.set('y');
    let before = 0;
    let accepted = 0;
    for (let i = 0; i < iterations; i++) {
      if (i === warmup) before = c.__wasmMemoryBytes();
      const [name, role, call] = list[i % list.length];
      let threw;
      try {
        const made = call(o, make());
        if (made && typeof made.free === 'function') made.free();
      } catch (e) {
        threw = e;
      }
      if (threw === undefined) {
        accepted++;
        if (MUST_THROW.has(role) && !READABLE.has(kind)) fail(`${kind} → ${name}: no throw`);
      } else if (!isCoded(threw)) {
        fail(`${kind} → ${name}: threw an uncoded ${String(threw?.name)}: ${String(threw?.message)}`);
      }
    }
    const growth = c.__wasmMemoryBytes() - before;
    // The objects still work: save, a write, a read, free.
    try {
      for (const x of Object.values(o)) x.save();
      o.doc.set(['after'], 'still here');
      if (o.doc.get(['after']) !== 'still here') fail(`${kind}: the document lost a write`);
      o.gc.increment(2);
      if (o.gc.value < 2) fail(`${kind}: the counter lost a write`);
      for (const x of Object.values(o)) x.free();
    } catch (e) {
      fail(`${kind}: the objects stopped working: ${e?.code} ${e?.message}`);
    }
    kinds[kind] = { calls: iterations, accepted, growth };
  }
  return { kinds, failures };
}
