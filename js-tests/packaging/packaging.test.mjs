// The packaging matrix: `npm pack` wasm/npm, install the tarball into throwaway
// projects, and check each way the package is meant to be loaded: Node ESM, Node
// CommonJS, a Vite production build, a webpack 5 production build (no wasm
// experiments), and the slim entry with an explicit init; and the Document-only
// entries, converge-crdt/document and converge-crdt/core (the document alone: no sync,
// merge report or change(), so it runs a scenario of its own, coreScenarioSource).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import {
  buildViteProject,
  buildWebpackProject,
  checkCoreScenarioResult,
  checkScenarioResult,
  coreScenarioSource,
  makeProject,
  makeSlimPage,
  makeTempDir,
  npmPackageDir,
  packTarball,
  removeDir,
  run,
  scenarioSource,
} from './lib.mjs';

/**
 * Module source, after an import of `Document` from `converge-crdt/${entry}` and of the
 * main entry's as `MainDocument`: what `checkEntryProject` checks, into the scenario's
 * result (`r`). State written by the entry's Document is read and merged by the main
 * entry's, and back.
 */
function entryProbeSource(entry) {
  return `import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const r = globalThis.__convergeResult;
r.resolved = import.meta.resolve('converge-crdt/${entry}');
r.required = require.resolve('converge-crdt/${entry}');
r.sameClassAsRequire = require('converge-crdt/${entry}').Document === Document;
r.exports = Object.keys(await import('converge-crdt/${entry}')).sort();
const d = new Document();
d.set(['users', 'u1', 'name'], 'Ada');
d.increment(['users', 'u1', 'visits'], 3);
const main = MainDocument.decode(d.encode());
r.crossRead = JSON.stringify(main.toJSON());
main.set(['users', 'u2', 'name'], 'Grace');
d.merge(main.encode());
r.crossMerged = JSON.stringify(d.toJSON());
r.sameBytes = Buffer.from(d.encode()).equals(Buffer.from(MainDocument.decode(d.encode()).encode()));
`;
}

/**
 * What a project importing `converge-crdt/${entry}` (the document or core entry) and the
 * main entry reports: the entry resolved by import and require to its own Node files,
 * one class by both, its exports, and a state read and merged across the two entries
 * with the same bytes.
 */
function checkEntryProject(result, entry) {
  const dir = `node_modules/converge-crdt/dist/${entry}/node/`;
  assert.ok(result.resolved.endsWith(`${dir}index.mjs`), result.resolved);
  assert.ok(result.required.endsWith(`${dir}converge_wasm.cjs`), result.required);
  assert.equal(result.sameClassAsRequire, true, 'import and require share one wasm instance');
  assert.deepEqual(result.exports, [
    'Document',
    '__limitMemoryForTests', '__trapForTests', '__wasmMemoryBytes', // test-only internals (issue 15)
    'compareVersions', 'randomReplicaId',
  ]);
  assert.equal(result.crossRead, JSON.stringify({ users: { u1: { name: 'Ada', visits: 3 } } }));
  assert.equal(
    result.crossMerged,
    JSON.stringify({ users: { u1: { name: 'Ada', visits: 3 }, u2: { name: 'Grace' } } }),
  );
  assert.equal(result.sameBytes, true);
}

let root;
let pack;

before(async () => {
  root = await makeTempDir('converge-packaging-');
  pack = await packTarball(root);
});

after(async () => {
  if (process.env.CONVERGE_KEEP_TMP) console.log(`# kept ${root}`);
  else await removeDir(root);
});

/** Runs a Node script in `dir` and returns the scenario result it prints. */
async function runNode(dir, file) {
  const { stdout } = await run(process.execPath, [file], { cwd: dir });
  const line = stdout.trim().split('\n').at(-1);
  return JSON.parse(line);
}

const printResult = 'console.log(JSON.stringify(globalThis.__convergeResult));\n';

describe('the tarball', () => {
  test('holds every file the manifest points at, and nothing stray', async () => {
    const { files, info } = pack;
    const manifest = JSON.parse(await readFile(join(npmPackageDir, 'package.json'), 'utf8'));
    assert.equal(info.name, 'converge-crdt');
    const targets = new Set([manifest.main, manifest.module, manifest.types]);
    const walk = (node) => {
      if (typeof node === 'string') targets.add(node);
      else for (const value of Object.values(node)) walk(value);
    };
    walk(manifest.exports);
    for (const target of targets) {
      const path = target.replace(/^\.\//, '');
      assert.ok(path === 'package.json' || files.includes(path), `${target} is not in the tarball`);
    }
    for (const file of files) {
      assert.match(file, /^(dist\/|README\.md$|package\.json$)/, `unexpected file ${file}`);
    }
    assert.ok(!files.some((f) => f.includes('SIZES')), 'the size report is not shipped');
    assert.ok(info.size < 2 * 2 ** 20, `packed size ${info.size}`);
  });

  test('ships each wasm module twice at most: one .wasm file, and the inlined copy', async () => {
    const { files, info } = pack;
    // The main module (every class), the Document-only one (converge-crdt/document)
    // and the document alone (converge-crdt/core).
    const modules = [
      'dist/web/converge_wasm_bg.wasm',
      'dist/document/web/converge_wasm_bg.wasm',
      'dist/core/web/converge_wasm_bg.wasm',
    ];
    assert.deepEqual(files.filter((f) => f.endsWith('.wasm')).sort(), [...modules].sort());
    const [wasm, documentWasm, coreWasm] = await Promise.all(
      modules.map(async (f) => (await readFile(join(npmPackageDir, f))).length),
    );
    assert.ok(documentWasm < wasm, `the Document-only module (${documentWasm} B) is the smaller`);
    assert.ok(coreWasm < documentWasm, `the core module (${coreWasm} B) is smaller than the Document-only one`);
    // The .wasm files, their text copies in index.js, small glue, and the relay entry
    // (plain JavaScript, no wasm: ESM, CommonJS and their types).
    let relay = 0;
    for (const f of files.filter((f) => f.startsWith('dist/relay.'))) {
      relay += (await readFile(join(npmPackageDir, f))).length;
    }
    assert.ok(relay < 100_000, `the relay entry takes ${relay} bytes`);
    // No file but the .wasm files and the index.js files (their inlined copies) is
    // anywhere near the size of a module: nothing else carries a copy of one.
    const large = [];
    for (const f of files) {
      if ((await readFile(join(npmPackageDir, f))).length > coreWasm / 2) large.push(f);
    }
    assert.deepEqual(
      large.sort(),
      ['dist/core/index.js', 'dist/document/index.js', ...modules, 'dist/index.js'].sort(),
    );
    // Glue (web and Node), types and entries besides: well under 600 KB per module.
    const limit = (wasm + documentWasm + coreWasm) * (1 + 2) + 3 * 600_000 + relay;
    assert.ok(info.unpackedSize < limit, `unpacked ${info.unpackedSize}`);
  });

  test('declares its side effects (the entries that instantiate the wasm) and its engines', async () => {
    const manifest = JSON.parse(await readFile(join(npmPackageDir, 'package.json'), 'utf8'));
    assert.deepEqual(manifest.sideEffects, [
      './dist/index.js',
      './dist/node/converge_wasm.cjs',
      './dist/node/index.mjs',
      './dist/document/index.js',
      './dist/document/node/converge_wasm.cjs',
      './dist/document/node/index.mjs',
      './dist/core/index.js',
      './dist/core/node/converge_wasm.cjs',
      './dist/core/node/index.mjs',
    ]);
    assert.match(manifest.engines.node, /^>=\d+/);
    assert.equal(manifest.exports['.'].node.require.types, './dist/index.d.cts');
  });
});

describe('Node', () => {
  test("ESM: import { Document } from 'converge-crdt' (the Node build, one instance with require)", async () => {
    const dir = await makeProject(root, 'node-esm', pack.tarball, {
      'main.mjs':
        scenarioSource("import { Document } from 'converge-crdt';", 'node-esm') +
        `import { createRequire } from 'node:module';
const required = createRequire(import.meta.url)('converge-crdt');
globalThis.__convergeResult.resolved = import.meta.resolve('converge-crdt');
globalThis.__convergeResult.sameClassAsRequire = required.Document === Document;
const all = await import('converge-crdt');
globalThis.__convergeResult.exports = Object.keys(all).sort();
` +
        printResult,
    });
    const result = await runNode(dir, 'main.mjs');
    checkScenarioResult(assert, result, 'node-esm');
    assert.match(result.resolved, /node_modules\/converge-crdt\/dist\/node\/index\.mjs$/);
    assert.equal(result.sameClassAsRequire, true, 'import and require share one wasm instance');
    assert.deepEqual(result.exports, [
      'Document', 'GCounter', 'LwwRegister', 'MvRegister', 'OrSet', 'PNCounter',
      '__limitMemoryForTests', '__trapForTests', '__wasmMemoryBytes', // test-only internals (issue 15)
      'compareVersions', 'randomReplicaId',
    ]);
  });

  test("CommonJS: require('converge-crdt') in a type: commonjs project", async () => {
    const dir = await makeProject(
      root,
      'node-cjs',
      pack.tarball,
      {
        'main.cjs':
          scenarioSource("const { Document } = require('converge-crdt');", 'node-cjs') +
          `globalThis.__convergeResult.resolved = require.resolve('converge-crdt');
globalThis.__convergeResult.counter = (() => { const { GCounter } = require('converge-crdt'); const c = new GCounter(); c.increment(2); return c.value; })();
` +
          printResult,
      },
      { type: 'commonjs' },
    );
    const result = await runNode(dir, 'main.cjs');
    checkScenarioResult(assert, result, 'node-cjs');
    assert.match(result.resolved, /node_modules\/converge-crdt\/dist\/node\/converge_wasm\.cjs$/);
    assert.equal(result.counter, 2);
  });

  test("slim entry: init(bytes) from 'converge-crdt/converge_wasm_bg.wasm', then the same API", async (t) => {
    const dir = await makeProject(root, 'node-slim', pack.tarball, {
      'main.mjs': `import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import init, { Document as Doc } from 'converge-crdt/slim';
let beforeInit;
try { new Doc(); beforeInit = 'no error'; } catch (e) { beforeInit = e.constructor.name + (e.code ? ' ' + e.code : ' (no code)') + ': ' + e.message; }
const wasmUrl = import.meta.resolve('converge-crdt/converge_wasm_bg.wasm');
await init({ module_or_path: readFileSync(fileURLToPath(wasmUrl)) });
const Document = Doc;
${scenarioSource('', 'node-slim')}
globalThis.__convergeResult.beforeInit = beforeInit;
globalThis.__convergeResult.wasmUrl = wasmUrl;
${printResult}`,
    });
    const result = await runNode(dir, 'main.mjs');
    checkScenarioResult(assert, result, 'node-slim');
    assert.match(result.wasmUrl, /dist\/web\/converge_wasm_bg\.wasm$/);
    assert.notEqual(result.beforeInit, 'no error', 'using the slim entry before init() fails');
    t.diagnostic(`slim entry before init(): ${result.beforeInit}`);
  });

  test("slim entry: await init() with no argument reads the wasm from disk in Node", async () => {
    const dir = await makeProject(root, 'node-slim-default', pack.tarball, {
      'main.mjs': `import init, { Document } from 'converge-crdt/slim';
await init();
${scenarioSource('', 'node-slim-default')}
${printResult}`,
    });
    checkScenarioResult(assert, await runNode(dir, 'main.mjs'), 'node-slim-default');
  });

  test("converge-crdt/document: the Document alone, by import and require, its encodings those of the main entry", async () => {
    const dir = await makeProject(root, 'node-document', pack.tarball, {
      'main.mjs':
        scenarioSource("import { Document } from 'converge-crdt/document';", 'node-document') +
        `import { Document as MainDocument } from 'converge-crdt';
${entryProbeSource('document')}` +
        printResult,
    });
    const result = await runNode(dir, 'main.mjs');
    checkScenarioResult(assert, result, 'node-document');
    checkEntryProject(result, 'document');
  });

  test("converge-crdt/document/slim: await init() reads the Document-only wasm", async () => {
    const dir = await makeProject(root, 'node-document-slim', pack.tarball, {
      'main.mjs': `import init, { Document } from 'converge-crdt/document/slim';
await init();
${scenarioSource('', 'node-document-slim')}
globalThis.__convergeResult.wasmUrl = import.meta.resolve('converge-crdt/document/converge_wasm_bg.wasm');
${printResult}`,
    });
    const result = await runNode(dir, 'main.mjs');
    checkScenarioResult(assert, result, 'node-document-slim');
    assert.match(result.wasmUrl, /dist\/document\/web\/converge_wasm_bg\.wasm$/);
  });

  test("converge-crdt/core: the document alone, by import and require, its encodings those of the main entry", async () => {
    const dir = await makeProject(root, 'node-core', pack.tarball, {
      'main.mjs':
        coreScenarioSource("import { Document, compareVersions } from 'converge-crdt/core';", 'node-core') +
        `import { Document as MainDocument } from 'converge-crdt';
import { Document as DocumentEntry } from 'converge-crdt/document';
${entryProbeSource('core')}
r.notTheFullClass = Document !== MainDocument && Document !== DocumentEntry;
// A core delta merges into the main entry's and the document entry's Documents.
d.addToSet(['users', 'u1', 'tags'], 'admin');
const delta = d.takeDelta();
const full = new DocumentEntry();
full.merge(d.encode());
main.merge(delta);
r.deltaMerged = Buffer.from(main.encode()).equals(Buffer.from(d.encode())) &&
  Buffer.from(full.encode()).equals(Buffer.from(d.encode()));
// The same writes (no timestamps: counters, sets, flags, multi-value registers) under
// one replica id give the same bytes from the three entries, state and delta.
const sameWrites = (D) => {
  const x = new D('0000000000000abc');
  x.increment(['n'], 2);
  x.decrement(['n']);
  x.addToSet(['s'], 'v');
  x.addToSet(['s'], 'w');
  x.removeFromSet(['s'], 'w');
  x.enable(['f']);
  x.setMulti(['m'], 'value');
  return [Buffer.from(x.encode()).toString('hex'), Buffer.from(x.takeDelta()).toString('hex')];
};
r.sameWrites = [Document, MainDocument, DocumentEntry].map(sameWrites);
` +
        printResult,
    });
    const result = await runNode(dir, 'main.mjs');
    checkCoreScenarioResult(assert, result, 'node-core');
    checkEntryProject(result, 'core');
    assert.equal(result.notTheFullClass, true, 'converge-crdt/core has a Document class of its own');
    assert.equal(result.deltaMerged, true, 'a core delta and state merge into the other entries');
    const [core, ...others] = result.sameWrites;
    for (const other of others) assert.deepEqual(other, core, 'the same writes encode the same');
  });

  test("converge-crdt/core in CommonJS: require('converge-crdt/core') in a type: commonjs project", async () => {
    const dir = await makeProject(
      root,
      'node-core-cjs',
      pack.tarball,
      {
        'main.cjs':
          coreScenarioSource("const { Document, compareVersions } = require('converge-crdt/core');", 'node-core-cjs') +
          `globalThis.__convergeResult.resolved = require.resolve('converge-crdt/core');
` +
          printResult,
      },
      { type: 'commonjs' },
    );
    const result = await runNode(dir, 'main.cjs');
    checkCoreScenarioResult(assert, result, 'node-core-cjs');
    assert.match(result.resolved, /node_modules\/converge-crdt\/dist\/core\/node\/converge_wasm\.cjs$/);
  });

  test("converge-crdt/core/slim: await init() reads the core wasm", async (t) => {
    const dir = await makeProject(root, 'node-core-slim', pack.tarball, {
      'main.mjs': `import init, { Document, compareVersions } from 'converge-crdt/core/slim';
let beforeInit;
try { new Document(); beforeInit = 'no error'; } catch (e) { beforeInit = e.constructor.name + (e.code ? ' ' + e.code : ' (no code)') + ': ' + e.message; }
await init();
${coreScenarioSource('', 'node-core-slim')}
globalThis.__convergeResult.beforeInit = beforeInit;
globalThis.__convergeResult.wasmUrl = import.meta.resolve('converge-crdt/core/converge_wasm_bg.wasm');
globalThis.__convergeResult.resolved = import.meta.resolve('converge-crdt/core/slim');
${printResult}`,
    });
    const result = await runNode(dir, 'main.mjs');
    checkCoreScenarioResult(assert, result, 'node-core-slim');
    assert.match(result.wasmUrl, /dist\/core\/web\/converge_wasm_bg\.wasm$/);
    assert.match(result.resolved, /node_modules\/converge-crdt\/dist\/core\/slim\.js$/);
    assert.notEqual(result.beforeInit, 'no error', 'using the slim entry before init() fails');
    t.diagnostic(`core slim entry before init(): ${result.beforeInit}`);
  });

  test("converge-crdt/core/slim: init(bytes) from 'converge-crdt/core/converge_wasm_bg.wasm'", async () => {
    const dir = await makeProject(root, 'node-core-slim-bytes', pack.tarball, {
      'main.mjs': `import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import init, { Document, compareVersions } from 'converge-crdt/core/slim';
const wasmUrl = import.meta.resolve('converge-crdt/core/converge_wasm_bg.wasm');
await init({ module_or_path: readFileSync(fileURLToPath(wasmUrl)) });
${coreScenarioSource('', 'node-core-slim-bytes')}
${printResult}`,
    });
    checkCoreScenarioResult(assert, await runNode(dir, 'main.mjs'), 'node-core-slim-bytes');
  });
});

/** Runs a built browser bundle in Node with the least of a DOM, returns its result. */
async function runBundleInNode(file, { esm }) {
  globalThis.__convergeResult = undefined;
  const stub = {
    createElement: () => ({ relList: { supports: () => true } }),
    querySelectorAll: () => [],
    getElementById: () => null,
  };
  const hadDocument = 'document' in globalThis;
  globalThis.document = stub;
  try {
    if (esm) await import(`${pathToFileURL(file).href}?t=${Date.now()}`);
    else createRequire(import.meta.url)(file);
    return globalThis.__convergeResult;
  } finally {
    if (!hadDocument) delete globalThis.document;
  }
}

describe('bundlers (no plugins, no wasm settings)', () => {
  let vite;
  let webpack;

  test('Vite 8 production build', async () => {
    vite = await buildViteProject(root, pack.tarball);
    const assets = await readdir(join(vite.out, 'assets'));
    const js = assets.filter((f) => f.endsWith('.js'));
    assert.equal(js.length, 1, `one chunk: ${assets}`);
    const html = await readFile(join(vite.out, 'index.html'), 'utf8');
    assert.ok(html.includes(`/assets/${js[0]}`), 'the page loads the chunk');
    const code = await readFile(join(vite.out, 'assets', js[0]), 'utf8');
    assert.ok(!/from\s*["']converge-crdt/.test(code), 'the import was resolved');
    // The default entry's text of the wasm (printable ASCII) comes through unchanged:
    // no bundler step re-escapes it, which would grow it.
    const entry = await readFile(join(npmPackageDir, 'dist', 'index.js'), 'utf8');
    const inlined = entry.match(/^const text = "([^"]+)";$/m)?.[1];
    assert.ok(inlined && inlined.length > 100_000, 'the default entry inlines the wasm as text');
    assert.ok(code.includes(inlined), 'the wasm is inlined, its text unchanged');
    assert.doesNotMatch(vite.log, /error/i);
    const result = await runBundleInNode(join(vite.out, 'assets', js[0]), { esm: true });
    checkScenarioResult(assert, result, 'vite bundle in Node');
  });

  test('Vite output ships the wasm once', {}, async () => {
    assert.ok(vite, 'the Vite build ran');
    const assets = await readdir(join(vite.out, 'assets'));
    assert.deepEqual(assets.filter((f) => f.endsWith('.wasm')), []);
  });

  test('webpack 5 production build', async () => {
    webpack = await buildWebpackProject(root, pack.tarball);
    assert.match(webpack.log, /compiled (successfully|with \d+ warnings?)/, webpack.log);
    assert.doesNotMatch(webpack.log, /ERROR/);
    const files = await readdir(webpack.out);
    assert.ok(files.includes('main.js'));
    assert.deepEqual(files.filter((f) => f.endsWith('.wasm')), [], 'no separate wasm file');
    const entry = await readFile(join(npmPackageDir, 'dist', 'index.js'), 'utf8');
    const inlined = entry.match(/^const text = "([^"]+)";$/m)?.[1];
    const code = await readFile(join(webpack.out, 'main.js'), 'utf8');
    assert.ok(inlined && code.includes(inlined), 'the wasm is inlined, its text unchanged');
    const result = await runBundleInNode(join(webpack.out, 'main.js'), { esm: false });
    checkScenarioResult(assert, result, 'webpack bundle in Node');
    // The only warnings are webpack's size hints (the inlined wasm is big).
    const warnings = webpack.log.match(/WARNING in [^\n]*/g) ?? [];
    for (const w of warnings) assert.match(w, /size limit|performance recommendations/, w);
  });

  test('the slim page project is ready for a browser', async () => {
    const slim = await makeSlimPage(root, pack.tarball);
    for (const file of ['index.html', 'main.js', 'node_modules/converge-crdt/dist/slim.js', 'node_modules/converge-crdt/dist/web/converge_wasm_bg.wasm']) {
      assert.ok(existsSync(join(slim.dir, file)), file);
    }
  });
});
