// The package in a real headless Chromium (playwright-core driving /usr/bin/chromium),
// served from localhost by a few lines of node:http:
//   (a) the Vite production build of a page importing 'converge-crdt'
//   (b) a plain <script type="module"> page importing wasm/npm/dist/index.js directly
//   (c) the webpack 5 production build, and (d) the slim entry with `await init()`
//   (e) and (f): converge-crdt/document's default and slim entries, as plain pages
//   (g) and (h): converge-crdt/core's default and slim entries, as plain pages
// On each page two Document replicas sync through messageFor/receive (on (g) and (h),
// whose Document has no sync, they exchange takeDelta()s through merge()) and the test
// reads the outcome back from the DOM; then replicas living in two different pages
// (Vite bundle and plain dist) sync through the test over a lossy link.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { chromium } from 'playwright-core';
import {
  buildViteProject,
  buildWebpackProject,
  checkCoreScenarioResult,
  checkScenarioResult,
  coreScenarioSource,
  makeSlimPage,
  makeTempDir,
  npmPackageDir,
  packTarball,
  pageHtml,
  removeDir,
  scenarioSource,
} from '../packaging/lib.mjs';
import { prng } from '../node/helpers.mjs';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.map': 'application/json',
  '.ts': 'text/plain',
};

/** A static server: URL prefix -> directory ('/' last). Records every request. */
function serve(routes) {
  const requests = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    if (url.pathname === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    requests.push(url.pathname);
    const [prefix, dir] = routes.find(([p]) => url.pathname.startsWith(p)) ?? [];
    if (!dir) {
      res.writeHead(404).end();
      return;
    }
    let file = normalize(join(dir, decodeURIComponent(url.pathname.slice(prefix.length))));
    if (!file.startsWith(dir + sep) && file !== dir) {
      res.writeHead(403).end();
      return;
    }
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'cache-control': 'no-store',
    });
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({ server, requests, origin: `http://127.0.0.1:${server.address().port}` });
    });
  });
}

let root;
let site;
let browser;

before(async () => {
  root = await makeTempDir('converge-browser-');
  const { tarball } = await packTarball(root);
  const [vite, webpack, slim] = await Promise.all([
    buildViteProject(root, tarball),
    buildWebpackProject(root, tarball),
    makeSlimPage(root, tarball),
  ]);
  const plain = join(root, 'plain-page');
  await mkdir(plain, { recursive: true });
  await writeFile(join(plain, 'index.html'), pageHtml('converge, plain module page', '<script type="module" src="./main.js"></script>'));
  // The package's own dist, as a page without any tool would load it.
  await writeFile(join(plain, 'main.js'), scenarioSource("import { Document } from '/pkg/dist/index.js';", 'plain'));
  // converge-crdt/document and converge-crdt/core: each one's default entry, and its slim
  // entry with init().
  for (const [dir, source] of [
    ['document-page', scenarioSource("import { Document } from '/pkg/dist/document/index.js';", 'document')],
    [
      'document-slim-page',
      "import init, { Document } from '/pkg/dist/document/slim.js';\nawait init();\n" +
        scenarioSource('', 'document-slim'),
    ],
    // converge-crdt/core: its default entry (the wasm inlined), and its slim entry with init().
    ['core-page', coreScenarioSource("import { Document, compareVersions } from '/pkg/dist/core/index.js';", 'core')],
    [
      'core-slim-page',
      "import init, { Document, compareVersions } from '/pkg/dist/core/slim.js';\nawait init();\n" +
        coreScenarioSource('', 'core-slim'),
    ],
  ]) {
    await mkdir(join(root, dir), { recursive: true });
    await writeFile(join(root, dir, 'index.html'), pageHtml(`converge, ${dir}`, '<script type="module" src="./main.js"></script>'));
    await writeFile(join(root, dir, 'main.js'), source);
  }
  site = await serve([
    ['/pkg/', npmPackageDir],
    ['/plain/', plain],
    ['/document/', join(root, 'document-page')],
    ['/document-slim/', join(root, 'document-slim-page')],
    ['/core/', join(root, 'core-page')],
    ['/core-slim/', join(root, 'core-slim-page')],
    ['/webpack/', webpack.out],
    ['/slim/', slim.dir],
    ['/', vite.out], // Vite's page loads /assets/... from the root
  ]);
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  site?.server.close();
  await removeDir(root);
});

/** Opens `path`, waits for the scenario's result in #out, returns { page, result, problems }. */
async function open(path) {
  const page = await browser.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console.${m.type()}: ${m.text()}`);
  });
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
  const start = site.requests.length;
  await page.goto(site.origin + path);
  await page.waitForSelector('#out[data-done="1"]', { timeout: 30_000 });
  const text = await page.textContent('#out');
  const result = JSON.parse(text);
  const fromWindow = await page.evaluate(() => JSON.stringify(globalThis.__convergeResult));
  assert.deepEqual(JSON.parse(fromWindow), result, 'the DOM shows what the page computed');
  return { page, result, problems, requests: site.requests.slice(start) };
}

describe('Chromium: two replicas sync on each page', () => {
  test('chromium runs', () => {
    assert.match(browser.version(), /^\d+\./);
  });

  const pages = [
    ['(a) the Vite production build', '/', 'vite', { inline: true }],
    ['(b) a plain module page importing dist/index.js', '/plain/', 'plain', { inline: true }],
    ['(c) the webpack 5 production build', '/webpack/', 'webpack', { inline: true }],
    ['(d) the slim entry with await init()', '/slim/', 'slim', { inline: false }],
    ['(e) converge-crdt/document, a plain module page', '/document/', 'document', { inline: true }],
    ['(f) converge-crdt/document/slim with await init()', '/document-slim/', 'document-slim', {
      wasm: '/pkg/dist/document/web/converge_wasm_bg.wasm',
    }],
    // converge-crdt/core's Document has no sync: these pages run coreScenarioSource.
    ['(g) converge-crdt/core, a plain module page', '/core/', 'core', { inline: true, core: true }],
    ['(h) converge-crdt/core/slim with await init()', '/core-slim/', 'core-slim', {
      wasm: '/pkg/dist/core/web/converge_wasm_bg.wasm',
      core: true,
    }],
  ];
  for (const [name, path, label, { inline, wasm, core }] of pages) {
    test(name, async (t) => {
      const { page, result, problems, requests } = await open(path);
      try {
        if (core) checkCoreScenarioResult(assert, result, label);
        else checkScenarioResult(assert, result, label);
        assert.equal(result.label, label);
        const wasmRequests = requests.filter((r) => r.endsWith('.wasm'));
        if (inline) {
          assert.deepEqual(wasmRequests, [], 'the default entry fetches no .wasm file');
        } else {
          assert.deepEqual(wasmRequests, [wasm ?? '/slim/node_modules/converge-crdt/dist/web/converge_wasm_bg.wasm']);
        }
        if (core) {
          const outside = requests.filter((r) => r.startsWith('/pkg/') && !r.startsWith('/pkg/dist/core/'));
          assert.deepEqual(outside, [], 'the core entry loads nothing from the other entries');
        }
        assert.deepEqual(problems, [], 'no page errors, warnings or failed requests');
        t.diagnostic(
          core
            ? `${label}: requests: ${requests.join(' ')}`
            : `${label}: ${result.messages} messages, ${result.rounds} rounds; requests: ${requests.join(' ')}`,
        );
      } finally {
        await page.close();
      }
    });
  }

  test('errors in the browser are Errors with a code, and the page keeps working', async () => {
    const { page } = await open('/plain/');
    try {
      const outcome = await page.evaluate(async () => {
        const { Document, GCounter, OrSet } = await import('/pkg/dist/index.js');
        const codeOf = (fn) => {
          try {
            fn();
            return 'no error';
          } catch (e) {
            return `${e instanceof Error ? 'Error' : typeof e}:${e.code}`;
          }
        };
        const g = new GCounter();
        g.increment(2);
        const codes = {
          fn: codeOf(() => new Document().set('k', () => 1)),
          map: codeOf(() => new OrSet().add(new Map())),
          path: codeOf(() => new Document().set(5, 1)),
          nan: codeOf(() => g.increment(NaN)),
          wrongType: codeOf(() => OrSet.decode(g.encode())),
          garbage: codeOf(() => Document.decode(new Uint8Array([1, 2, 3]))),
        };
        g.increment(1);
        return { codes, value: g.value, sameModule: Document === globalThis.__convergeDocument };
      });
      assert.deepEqual(outcome.codes, {
        fn: 'Error:ERR_INVALID_ARGUMENT',
        map: 'Error:ERR_INVALID_ARGUMENT',
        path: 'Error:ERR_INVALID_ARGUMENT',
        nan: 'Error:ERR_INVALID_ARGUMENT',
        wrongType: 'Error:ERR_WRONG_TYPE',
        garbage: 'Error:ERR_DECODE',
      });
      assert.equal(outcome.value, 3);
      assert.equal(outcome.sameModule, true, 'one module instance per page');
    } finally {
      await page.close();
    }
  });

  test('change events: delivered after the call, a throwing listener goes to the window error event', async () => {
    const { page } = await open('/plain/');
    try {
      const outcome = await page.evaluate(async () => {
        const { Document } = await import('/pkg/dist/index.js');
        const reported = [];
        const onError = (event) => {
          reported.push(event.error?.message);
          event.preventDefault();
        };
        window.addEventListener('error', onError);
        const a = new Document();
        const b = new Document();
        const seen = [];
        a.subscribe(() => {
          throw new Error('listener failed');
        });
        const unsubscribe = a.subscribe((event) => seen.push([event, a.get('k')]));
        a.set('k', 1);
        const inside = seen.length;
        await new Promise((resolve) => setTimeout(resolve, 0));
        b.set('r', 2);
        a.merge(b.takeDelta());
        a.merge(b.encode());
        await new Promise((resolve) => setTimeout(resolve, 0));
        unsubscribe();
        a.set('k', 3);
        await new Promise((resolve) => setTimeout(resolve, 0));
        window.removeEventListener('error', onError);
        return { inside, seen, reported, usable: a.toJSON() };
      });
      assert.equal(outcome.inside, 0, 'not inside the call');
      assert.deepEqual(outcome.seen, [
        [{ paths: [['k']], local: true }, 1],
        [{ paths: [['r']], local: false }, 1],
      ]);
      assert.deepEqual(outcome.reported, ['listener failed', 'listener failed', 'listener failed']);
      assert.deepEqual(outcome.usable, { k: 3, r: 2 });
    } finally {
      await page.close();
    }
  });

  test('replicas in two pages (Vite bundle and plain dist) sync through a lossy link', async () => {
    const left = await open('/');
    const right = await open('/plain/');
    try {
      const setup = async (page, id, who) =>
        page.evaluate(
          ({ id, who }) => {
            const doc = new globalThis.__convergeDocument(id);
            globalThis.__replica = doc;
            for (let i = 0; i < 20; i++) doc.addToSet(['items'], `${who}-${i}`);
            doc.increment(['count'], 5);
            doc.set(['title'], `by ${who}`);
            return doc.replicaId;
          },
          { id, who },
        );
      const leftId = await setup(left.page, '0000000000000a11', 'left');
      const rightId = await setup(right.page, '0000000000000b22', 'right');
      const messageFor = (page, peer) =>
        page.evaluate((peer) => {
          const m = globalThis.__replica.messageFor(peer);
          return m === undefined ? null : Array.from(m);
        }, peer);
      const receive = (page, bytes) =>
        page.evaluate((bytes) => {
          const { reply } = globalThis.__replica.receive(new Uint8Array(bytes));
          return reply === undefined ? null : Array.from(reply);
        }, bytes);
      const random = prng(2024);
      const ends = [
        [left.page, right.page, rightId],
        [right.page, left.page, leftId],
      ];
      let rounds = 0;
      for (; rounds < 100; rounds++) {
        let pending = false;
        for (const [from, to, peer] of ends) {
          let message = await messageFor(from, peer);
          let [receiver, sender] = [to, from];
          while (message !== null) {
            pending = true;
            if (random() < 0.3) break; // lost on the way
            const reply = await receive(receiver, message);
            [receiver, sender] = [sender, receiver];
            message = reply;
          }
        }
        if (!pending) break;
      }
      const state = (page) =>
        page.evaluate(() => ({
          bytes: Array.from(globalThis.__replica.encode()).join(','),
          json: globalThis.__replica.toJSON(),
        }));
      const [l, r] = [await state(left.page), await state(right.page)];
      assert.equal(l.bytes, r.bytes, 'encode() agrees across the two pages');
      assert.deepEqual(l.json, r.json);
      assert.equal(l.json.items.length, 40);
      assert.equal(l.json.count, 10);
      assert.ok(rounds < 100, 'the link went quiet');
    } finally {
      await left.page.close();
      await right.page.close();
    }
  });
});
