// Shared by the packaging checks and the browser test: pack the npm package, make
// throwaway projects that install the tarball, build them with Vite and webpack, and
// the scenario every page and project runs (two Document replicas syncing).
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const jsTestsDir = fileURLToPath(new URL('..', import.meta.url));
export const repoRoot = join(jsTestsDir, '..');
export const npmPackageDir = join(repoRoot, 'wasm', 'npm');
export const distDir = join(npmPackageDir, 'dist');

/** A binary installed in js-tests/node_modules (vite, webpack). */
export const bin = (name) => join(jsTestsDir, 'node_modules', '.bin', name);

/** Quiet, offline-capable npm for throwaway installs of a local tarball. */
const npmEnv = {
  ...process.env,
  npm_config_audit: 'false',
  npm_config_fund: 'false',
  npm_config_update_notifier: 'false',
  npm_config_loglevel: 'error',
};

/** Runs a command; resolves { stdout, stderr }, rejects with both in the message. */
export function run(cmd, args, { cwd, env = npmEnv, timeout = 180_000 } = {}) {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd, env, timeout, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      if (error) {
        error.message += `\n$ ${cmd} ${args.join(' ')} (in ${cwd})\n${stdout}\n${stderr}`;
        reject(error);
      } else resolve({ stdout, stderr });
    });
  });
}

export async function makeTempDir(prefix = 'converge-js-tests-') {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function removeDir(dir) {
  if (dir && existsSync(dir)) await rm(dir, { recursive: true, force: true });
}

/** `npm pack` of wasm/npm into `dir`: { tarball, files (paths in the package) }. */
export async function packTarball(dir) {
  if (!existsSync(join(distDir, 'index.js'))) {
    throw new Error(`${distDir} is not built: run bash wasm/build.sh first`);
  }
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', dir], { cwd: npmPackageDir });
  const [info] = JSON.parse(stdout.slice(stdout.indexOf('[')));
  return { tarball: join(dir, info.filename), files: info.files.map((f) => f.path), info };
}

/**
 * A throwaway project in `root/name` with `files` ({ relative path: text }) and the
 * tarball installed offline (the package has no dependencies). `type` is the
 * package.json "type" (null: none).
 */
export async function makeProject(root, name, tarball, files, { type = 'module' } = {}) {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, 'package.json'),
    JSON.stringify({ name, private: true, version: '0.0.0', ...(type ? { type } : {}) }, null, 2),
  );
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  await run('npm', ['install', '--offline', '--no-audit', '--no-fund', tarball], { cwd: dir });
  return dir;
}

// What both scenarios' sources define after their import line: the Document class for
// tests that drive more replicas, `hex`, and `publish` (the result, on globalThis and
// in a page's #out element).
const scenarioHelpers = `globalThis.__convergeDocument = Document;
function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
function publish(result) {
  globalThis.__convergeResult = result;
  if (typeof document !== 'undefined' && document.getElementById) {
    const out = document.getElementById('out');
    if (out) {
      out.textContent = JSON.stringify(result);
      out.setAttribute('data-done', '1');
    }
  }
}
`;

/**
 * The scenario every project and page runs, as module source after `importLine`
 * (which must bring `Document` into scope, and may `await init()`): two replicas
 * write, concurrently too, then sync through messageFor/receive until quiet. The
 * result goes to globalThis.__convergeResult and, in a page, to #out as JSON.
 */
export function scenarioSource(importLine, label) {
  return `${importLine}
const label = ${JSON.stringify(label)};
${scenarioHelpers}try {
  const a = new Document();
  const b = new Document();
  const beforeWrite = Date.now();
  a.set(['todos', 't1', 'title'], 'buy milk');
  const afterWrite = Date.now();
  // Written with no clock set up: the default clock reads the host's Date.now().
  const stamp = a.read(['todos', 't1', 'title']).siblings[0]?.timestamp?.millis;
  a.increment(['stats', 'edits']);
  b.set(['todos', 't2', 'title'], 'walk the dog');
  b.increment(['stats', 'edits'], 2);
  b.addToSet(['tags'], 'home');
  a.addToSet(['tags'], 'errands');
  a.set(['todos', 'shared'], 'from a'); // concurrent writes to one field
  b.set(['todos', 'shared'], 'from b');
  let messages = 0;
  let rounds = 0;
  for (; rounds < 10; rounds++) {
    let moved = false;
    for (const [from, to] of [[a, b], [b, a]]) {
      let message = from.messageFor(to.replicaId);
      let [receiver, sender] = [to, from];
      while (message !== undefined) {
        moved = true;
        messages++;
        const { reply } = receiver.receive(message); // a Document's report carries the reply
        [receiver, sender] = [sender, receiver];
        message = reply;
      }
    }
    if (!moved) break;
  }
  const json = a.toJSON();
  publish({
    label,
    ok: true,
    converged: hex(a.encode()) === hex(b.encode()),
    sameJson: JSON.stringify(json) === JSON.stringify(b.toJSON()),
    json,
    conflicts: a.conflicts().map((c) => c.path.join('.')),
    siblings: a.read(['todos', 'shared']).siblings.length,
    messages,
    rounds,
    stamp: { millis: stamp, before: beforeWrite, after: afterWrite },
  });
} catch (error) {
  publish({ label, ok: false, error: String(error && error.stack || error), code: error && error.code });
}
`;
}

/** What every scenario run must report. */
export function checkScenarioResult(assert, result, label) {
  assert.ok(result, `${label}: no result published`);
  assert.equal(result.ok, true, `${label}: ${result.error}`);
  assert.equal(result.converged, true, `${label}: encode() differs between the replicas`);
  assert.equal(result.sameJson, true, `${label}: toJSON() differs`);
  const { json } = result;
  assert.equal(json.todos.t1.title, 'buy milk');
  assert.equal(json.todos.t2.title, 'walk the dog');
  assert.ok(['from a', 'from b'].includes(json.todos.shared));
  assert.equal(json.stats.edits, 3);
  assert.deepEqual(json.tags, ['errands', 'home']);
  assert.equal(result.siblings, 2, `${label}: the concurrent write is kept as a sibling`);
  assert.ok(result.messages > 0);
  const { millis, before, after } = result.stamp;
  assert.ok(
    typeof millis === 'number' && millis >= before && millis <= after,
    `${label}: a write without an explicit clock is stamped ${millis}, not Date.now() (${before}..${after})`,
  );
}

export const pageHtml = (title, scriptTag, head = '') => `<!doctype html>
<html>
  <head>
    <meta charset="utf-8" />
    <title>${title}</title>
    ${head}
  </head>
  <body>
    <h1>${title}</h1>
    <pre id="out">pending</pre>
    ${scriptTag}
  </body>
</html>
`;

/** A Vite project importing 'converge-crdt', built for production with no config. */
export async function buildViteProject(root, tarball) {
  const dir = await makeProject(root, 'vite-app', tarball, {
    'index.html': pageHtml('converge via Vite', '<script type="module" src="./main.js"></script>'),
    'main.js': scenarioSource("import { Document } from 'converge-crdt';", 'vite'),
  });
  const { stdout, stderr } = await run(bin('vite'), ['build', '--logLevel', 'warn'], { cwd: dir });
  return { dir, out: join(dir, 'dist'), log: stdout + stderr };
}

/** A webpack 5 project importing 'converge-crdt', built for production with no config. */
export async function buildWebpackProject(root, tarball) {
  const dir = await makeProject(
    root,
    'webpack-app',
    tarball,
    {
      'src/index.js': scenarioSource("import { Document } from 'converge-crdt';", 'webpack'),
      'dist/index.html': pageHtml('converge via webpack', '<script src="./main.js"></script>'),
    },
    { type: null }, // no "type", as webpack projects usually have
  );
  const { stdout, stderr } = await run(
    bin('webpack'),
    ['--mode', 'production', '--entry', './src/index.js', '--output-path', './dist', '--output-filename', 'main.js', '--no-color'],
    { cwd: dir },
  );
  return { dir, out: join(dir, 'dist'), log: stdout + stderr };
}

/** A plain page (no bundler) loading the slim entry through an import map, with `await init()`. */
export async function makeSlimPage(root, tarball) {
  const importMap = `<script type="importmap">${JSON.stringify({
    imports: { 'converge-crdt/slim': './node_modules/converge-crdt/dist/slim.js' },
  })}</script>`;
  const dir = await makeProject(root, 'slim-page', tarball, {
    'index.html': pageHtml('converge slim entry', '<script type="module" src="./main.js"></script>', importMap),
    'main.js': scenarioSource(
      "import init, { Document } from 'converge-crdt/slim';\nawait init();",
      'slim',
    ),
  });
  return { dir, out: dir };
}

export async function readJson(path) {
  return JSON.parse(await readFile(path, 'utf8'));
}

/**
 * The scenario of the converge-crdt/core entries, as module source after `importLine`
 * (which must bring `Document` and `compareVersions` into scope, and may `await
 * init()`). The core Document has no messageFor/receive, merge report, read() or
 * conflicts() (the shared scenarioSource uses them): here two documents write every
 * kind, exchange takeDelta()s through merge(), and are checked through encode/decode,
 * merge(Document), version() and toJSON(). Published like scenarioSource's result.
 */
export function coreScenarioSource(importLine, label) {
  return `${importLine}
const label = ${JSON.stringify(label)};
${scenarioHelpers}try {
  const a = new Document();
  const b = new Document('00000000000000b2');
  const present = ['change', 'receive', 'messageFor', 'read', 'conflicts', 'subscribe', 'setPolicy']
    .filter((name) => name in a);
  a.set(['todos', 't1', 'title'], 'buy milk');
  a.increment(['stats', 'edits']);
  b.set(['todos', 't2', 'title'], 'walk the dog');
  b.increment(['stats', 'edits'], 2);
  b.addToSet(['tags'], 'home');
  a.addToSet(['tags'], 'errands');
  a.addToSet(['tags'], 'dropped');
  a.removeFromSet(['tags'], 'dropped');
  a.set(['todos', 'shared'], 'from a'); // concurrent writes to one field
  b.set(['todos', 'shared'], 'from b');
  b.setMulti(['note'], 'multi');
  a.enable(['flags', 'synced']);
  b.enable(['flags', 'off']);
  b.disable(['flags', 'off']);
  b.set(['todos', 'gone'], 'x');
  b.remove(['todos', 'gone']);
  a.decrement(['stats', 'left'], 4);
  const deltaA = a.takeDelta();
  const deltaB = b.takeDelta();
  const noMoreDelta = a.takeDelta() === undefined && b.takeDelta() === undefined;
  const orderBefore = compareVersions(a.version(), b.version());
  const returned = [b.merge(deltaA), a.merge(deltaB)];
  const json = a.toJSON();
  const converged = hex(a.encode()) === hex(b.encode());
  const sameJson = JSON.stringify(json) === JSON.stringify(b.toJSON());
  // decode() with a replica id, and merge() of a Document (not bytes).
  const c = Document.decode(a.encode(), '00000000000000c3');
  const decoded = hex(c.encode()) === hex(a.encode()) && JSON.stringify(c.toJSON()) === JSON.stringify(json);
  const d = new Document();
  d.merge(a);
  const mergedDocument = hex(d.encode()) === hex(a.encode()) && JSON.stringify(d.toJSON()) === JSON.stringify(json);
  c.increment(['stats', 'edits']); // the decoded document writes on, under its own id
  a.merge(c.takeDelta());
  b.merge(c);
  publish({
    label,
    ok: true,
    replicaIds: [a.replicaId, b.replicaId, c.replicaId],
    present,
    deltas: deltaA instanceof Uint8Array && deltaB instanceof Uint8Array,
    noMoreDelta,
    orderBefore,
    returned: returned.map((value) => value === undefined ? 'undefined' : typeof value),
    converged,
    sameJson,
    json,
    decoded,
    mergedDocument,
    after: { edits: a.get(['stats', 'edits']), converged: hex(a.encode()) === hex(b.encode()) && hex(a.encode()) === hex(c.encode()) },
    orderAfter: compareVersions(a.version(), b.version()),
    title: b.get(['todos', 't1', 'title']),
  });
} catch (error) {
  publish({ label, ok: false, error: String(error && error.stack || error), code: error && error.code });
}
`;
}

/** What every coreScenarioSource run must report. */
export function checkCoreScenarioResult(assert, result, label) {
  assert.ok(result, `${label}: no result published`);
  assert.equal(result.ok, true, `${label}: ${result.error}`);
  assert.deepEqual(result.present, [], `${label}: the core Document has no sync, merge report, reads, policies or events`);
  assert.match(result.replicaIds[0], /^[0-9a-f]{16}$/);
  assert.deepEqual(result.replicaIds.slice(1), ['00000000000000b2', '00000000000000c3']);
  assert.equal(result.deltas, true, `${label}: takeDelta() gives bytes after writes`);
  assert.equal(result.noMoreDelta, true, `${label}: takeDelta() is undefined with no write since`);
  assert.equal(result.orderBefore, 'concurrent');
  assert.deepEqual(result.returned, ['undefined', 'undefined'], `${label}: merge() returns nothing`);
  assert.equal(result.converged, true, `${label}: encode() differs between the documents`);
  assert.equal(result.sameJson, true, `${label}: toJSON() differs`);
  const { json } = result;
  assert.ok(['from a', 'from b'].includes(json.todos.shared));
  const { shared, ...todos } = json.todos;
  assert.deepEqual({ ...json, todos }, {
    flags: { synced: true },
    note: 'multi',
    stats: { edits: 3, left: -4 },
    tags: ['errands', 'home'],
    todos: { t1: { title: 'buy milk' }, t2: { title: 'walk the dog' } },
  });
  assert.equal(result.decoded, true, `${label}: decode() gives back the state`);
  assert.equal(result.mergedDocument, true, `${label}: merge(Document) takes its state`);
  assert.deepEqual(result.after, { edits: 4, converged: true });
  assert.equal(result.orderAfter, 'equal');
  assert.equal(result.title, 'buy milk');
}
