// The JS/wasm boundary (issue 15): no JavaScript value crashes or corrupts the module,
// no value is converted lossily without a word, and free() may be called twice.
//   - hostile values (boundary-scenario.mjs): 100,000 calls per kind, every one a
//     coded Error or a legitimate success, the objects still working afterwards and
//     the wasm memory flat after warm-up;
//   - the original repro (a revoked Proxy passed to set on fresh documents);
//   - the value mapping: undefined, -0, bigints, lone surrogates, non-number options;
//   - free() twice, and `using`.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertCoded, converge } from './helpers.mjs';
import { HOSTILE, runHostile } from './boundary-scenario.mjs';

const { Document, LwwRegister, MvRegister, OrSet, GCounter, PNCounter, compareVersions } = converge;
const MIB = 1 << 20;

describe('hostile JavaScript values', () => {
  test('100,000 calls per hostile kind: coded errors, objects intact, memory flat', () => {
    const { kinds, failures } = runHostile(converge, { iterations: 100_000 });
    assert.deepEqual(failures, []);
    for (const [kind, { growth }] of Object.entries(kinds)) {
      assert.ok(growth < MIB, `${kind}: wasm memory grew by ${growth} bytes after warm-up`);
    }
  });

  test('the original repro: a revoked Proxy given to set() on fresh documents', () => {
    // Died at ~2,615 iterations with "memory access out of bounds"; after one such
    // value every later call on the document, save() and free() included, failed.
    for (let i = 0; i < 10_000; i++) {
      const d = new Document();
      assertCoded(() => d.set(['k'], HOSTILE.revokedProxy()), 'ERR_INVALID_ARGUMENT');
      d.set(['k'], i);
      assert.ok(d.save() instanceof Uint8Array);
      assert.equal(d.get('k'), i);
      d.free();
    }
  });

  test('a resolver policy or MvRegister.resolve callback that throws leaves the object working', () => {
    const a = new MvRegister('00000000000000a1');
    const b = new MvRegister('00000000000000b2');
    a.set(1);
    b.set(2);
    a.merge(b);
    assert.throws(() => a.resolve(() => HOSTILE.revokedProxy()));
    a.set(3);
    assert.deepEqual(a.values(), [3]);
    const doc = new Document('00000000000000a1');
    doc.setPolicy(['f'], { type: 'resolver', name: 'bad', resolve: () => HOSTILE.revokedProxy() });
    const other = new Document('00000000000000b2');
    doc.set('f', 1);
    other.set('f', 2);
    doc.merge(other);
    assert.equal(doc.read('f').outcome, 'conflict', 'an unreadable answer leaves the conflict shown');
    doc.set('f', 3);
    assert.equal(doc.get('f'), 3);
  });

  test('callbacks that throw and option getters: no leak, getters see their object', () => {
    const a = new MvRegister('00000000000000a1');
    const b = new MvRegister('00000000000000b2');
    a.set(1);
    b.set(2);
    a.merge(b);
    const thrower = () => {
      throw new Error('from the callback');
    };
    const round = () => {
      for (let i = 0; i < 20_000; i++) {
        assert.throws(() => a.resolve(thrower), /from the callback/);
      }
    };
    round();
    const before = converge.__wasmMemoryBytes();
    round();
    round();
    assert.equal(converge.__wasmMemoryBytes() - before, 0, 'a throwing callback leaks nothing');
    // Options are read as properties, getters with the options object as `this`.
    const d = new Document();
    d.set('k', 1);
    const options = {
      version: d.read('k').version,
      get ifMatch() {
        return this.version;
      },
    };
    d.set('k', 2, options);
    assert.equal(d.get('k'), 2);
    assertCoded(() => d.set('k', 3, options), 'ERR_STALE');
  });
});

describe('value mapping: exact or refused', () => {
  test('undefined is refused as a value and as an array item; an undefined property is left out', () => {
    const d = new Document();
    assertCoded(() => d.set('u', undefined), 'ERR_INVALID_ARGUMENT');
    assertCoded(() => d.set('u', [1, undefined]), 'ERR_INVALID_ARGUMENT');
    assertCoded(() => d.set('u', [1, , 3]), 'ERR_INVALID_ARGUMENT'); // eslint-disable-line no-sparse-arrays
    assertCoded(() => new LwwRegister().set(undefined), 'ERR_INVALID_ARGUMENT');
    assertCoded(() => new OrSet().add(undefined), 'ERR_INVALID_ARGUMENT');
    d.set('o', { a: 1, b: undefined });
    assert.deepEqual(d.get('o'), { a: 1 });
    assert.equal(d.get('u'), undefined, 'the refused writes changed nothing');
  });

  test('-0 is stored as the integer 0 (as JSON does)', () => {
    const d = new Document();
    d.set('z', -0);
    assert.ok(Object.is(d.get('z'), 0));
  });

  test('bigints: refused inside the safe-integer range, exact outside it', () => {
    const d = new Document();
    assertCoded(() => d.set('b', 1n), 'ERR_INVALID_ARGUMENT');
    assertCoded(() => d.set('b', -(2n ** 53n - 1n)), 'ERR_INVALID_ARGUMENT');
    assertCoded(() => d.set('b', 2n ** 64n), 'ERR_INVALID_ARGUMENT');
    for (const big of [2n ** 53n, -(2n ** 53n), 2n ** 63n - 1n, -(2n ** 63n)]) {
      d.set('b', big);
      assert.equal(d.get('b'), big);
    }
    d.set('b', 2 ** 53);
    assert.equal(d.get('b'), 2 ** 53, 'a number past the safe range stays a number');
  });

  test('lone surrogates are refused in strings, keys and paths; U+FFFD itself is fine', () => {
    const d = new Document();
    for (const lone of ['\ud800', 'a\udc00b', 'x\ud83d']) {
      assertCoded(() => d.set('s', lone), 'ERR_INVALID_ARGUMENT');
      assertCoded(() => d.set(lone, 1), 'ERR_INVALID_ARGUMENT');
      assertCoded(() => d.set(['a', lone], 1), 'ERR_INVALID_ARGUMENT');
      assertCoded(() => d.set('o', { [lone]: 1 }), 'ERR_INVALID_ARGUMENT');
      assertCoded(() => d.addToSet('set', lone), 'ERR_INVALID_ARGUMENT');
      assertCoded(() => new OrSet().add([lone]), 'ERR_INVALID_ARGUMENT');
      assertCoded(() => d.get(lone), 'ERR_INVALID_ARGUMENT');
    }
    // Array paths cross into the wasm packed into one string: one that holds U+FFFD
    // after conversion (a real one, or a lone surrogate replaced) takes the unpacked
    // route, which tells them apart, for every write method.
    assertCoded(() => d.increment(['p', 'x\ud800']), 'ERR_INVALID_ARGUMENT');
    assertCoded(() => d.enable(['p', '\udc00']), 'ERR_INVALID_ARGUMENT');
    d.set(['p', '\ufffd'], 1);
    d.increment(['p', 'n\ufffd'], 2);
    d.enable(['p', '\ufffd\ufffd']);
    assert.deepEqual(d.get('p'), { '\ufffd': 1, 'n\ufffd': 2, '\ufffd\ufffd': true });
    d.remove(['p']);
    // In a change the packed paths cross together as one string; one that holds
    // U+FFFD sends them one by one, so a lone surrogate is refused naming its write
    // and a real U+FFFD is a key like any other.
    assert.throws(() => d.change((w) => {
      w.set(['q', 'a'], 1);
      w.set('flat', 2);
      w.set(['q', 'b\ud800'], 3);
      w.set(['q', 'c'], 4);
    }), (error) => error.code === 'ERR_INVALID_ARGUMENT' && error.write === 2 && /write 2 of the change/.test(error.message));
    assert.equal(d.get('q'), undefined, 'a refused change applies nothing');
    d.change((w) => {
      w.set(['q', '\ufffd'], 1);
      w.set('flat', 2);
      w.increment(['q', 'n\ufffd'], 2);
      w.set(['q', 'c'], 4);
    });
    assert.deepEqual(d.get('q'), { '\ufffd': 1, 'n\ufffd': 2, c: 4 });
    assert.equal(d.get('flat'), 2);
    d.remove(['q']);
    d.remove('flat');
    // The packed text must hold exactly the packed paths the writes name, in order.
    for (const text of ['', '1:k', '1:k;1:j;', '2:k;', 'x;', ';']) {
      assertCoded(() => d.__applyChange(new Uint8Array([32]), new Uint32Array([0]), ['1:k'], [1], new Float64Array(0), true, text), 'ERR_INVALID_ARGUMENT');
    }
    d.__applyChange(new Uint8Array([32, 32, 0]), new Uint32Array([0, 1, 2]), ['1:k', '1:a1:b', ['c']], [1, 2, 3], new Float64Array(0), true, '1:k;1:a1:b;');
    assert.deepEqual(d.toJSON(), { k: 1, a: { b: 2 }, c: 3 });
    d.remove('k');
    d.remove('a');
    d.remove('c');
    // Two distinct lone surrogates used to become the same key.
    d.set('\ufffd', 'replacement');
    d.set('s', 'pair \ud83d\ude00');
    assert.deepEqual(d.toJSON(), { '\ufffd': 'replacement', s: 'pair \ud83d\ude00' });
  });

  test('non-number options and amounts are refused, not coerced', () => {
    const d = new Document();
    assertCoded(() => d.setPolicy(['f'], { type: 'lww', skewToleranceMs: '5' }), 'ERR_INVALID_ARGUMENT');
    assertCoded(() => d.setPolicy(['f'], { type: 'lww', skewToleranceMs: 5n }), 'ERR_INVALID_ARGUMENT');
    assertCoded(() => d.setPolicy(['f'], { type: 'resolver', name: 7, resolve: () => undefined }), 'ERR_INVALID_ARGUMENT');
    d.setPolicy(['f'], { type: 'lww', skewToleranceMs: 5 });
    assertCoded(() => d.increment('n', '2'), 'ERR_INVALID_ARGUMENT');
    assertCoded(() => new GCounter().increment('2'), 'ERR_INVALID_ARGUMENT');
    assertCoded(() => new LwwRegister().isAmbiguous('5'), 'ERR_INVALID_ARGUMENT');
    assertCoded(() => new MvRegister().resolve('not a function'), 'ERR_INVALID_ARGUMENT');
    assertCoded(() => compareVersions({ '00000000000000a1': '1' }, {}), 'ERR_INVALID_ARGUMENT');
  });
});

describe('free()', () => {
  test('free() twice does nothing the second time, for every class', () => {
    for (const Class of [Document, LwwRegister, MvRegister, OrSet, GCounter, PNCounter]) {
      const x = new Class();
      x.free();
      x.free();
      assertCoded(() => x.save(), 'ERR_USE_AFTER_FREE');
    }
  });

  test('`using` disposes after an explicit free()', () => {
    let run;
    try {
      run = new Function('Document', `{
        using d = new Document();
        d.set('k', 1);
        d.free();
      }`);
    } catch (e) {
      // An engine without \`using\` syntax: dispose by hand below, as \`using\` would.
      if (!(e instanceof SyntaxError)) throw e;
    }
    run?.(Document);
    const d = new Document();
    d.set('k', 1);
    d.free();
    d[Symbol.dispose ?? Symbol.for('nodejs.dispose')]?.();
    assert.equal(typeof d.free, 'function');
  });
});
