// The JS/wasm boundary in a real headless Chromium (issue 15): the hostile-value
// scenario of node/boundary-scenario.mjs, 100,000 calls per hostile kind against the
// package's default entry (wasm/npm/dist/index.js), every call a coded Error or a
// legitimate success, the objects still working and the wasm memory flat; then a
// forced trap turns every later call into ERR_INSTANCE_LOST. A tiny node:http server
// serves the dist and the scenario; nothing is built or packed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createReadStream, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, normalize, sep } from 'node:path';
import { chromium } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];
const dist = fileURLToPath(new URL('../../wasm/npm/dist/', import.meta.url));
const nodeDir = fileURLToPath(new URL('../node/', import.meta.url));
const MIB = 1 << 20;

let server;
let origin;
let browser;

before(async () => {
  const routes = [
    ['/dist/', dist],
    ['/node/', nodeDir],
  ];
  server = createServer((req, res) => {
    const path = new URL(req.url, 'http://localhost').pathname;
    if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>boundary</title>');
      return;
    }
    const [prefix, dir] = routes.find(([p]) => path.startsWith(p)) ?? [];
    const file = dir && normalize(join(dir, path.slice(prefix.length)));
    if (!file || !file.startsWith(normalize(dir)) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/javascript' });
    createReadStream(file).pipe(res);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${server.address().port}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
});

after(async () => {
  await browser?.close();
  server?.close();
});

test('Chromium: 100,000 calls per hostile kind, coded errors, objects intact, memory flat; then a trap', async () => {
  const page = await browser.newPage();
  try {
    await page.goto(origin + '/');
    const outcome = await page.evaluate(async () => {
      const converge = await import('/dist/index.js');
      const { runHostile } = await import('/node/boundary-scenario.mjs');
      const hostile = runHostile(converge, { iterations: 100_000 });
      const doc = new converge.Document();
      doc.set('k', 1);
      const codes = [];
      for (const call of [
        () => converge.__trapForTests(),
        () => doc.get('k'),
        () => doc.save(),
        () => new converge.Document(),
      ]) {
        try {
          call();
          codes.push('no error');
        } catch (e) {
          codes.push(`${e instanceof Error ? 'Error' : typeof e}:${e.code}`);
        }
      }
      return { hostile, codes };
    });
    assert.deepEqual(outcome.hostile.failures, []);
    for (const [kind, { growth }] of Object.entries(outcome.hostile.kinds)) {
      assert.ok(growth < MIB, `${kind}: wasm memory grew by ${growth} bytes after warm-up`);
    }
    assert.deepEqual(outcome.codes, Array(4).fill('Error:ERR_INSTANCE_LOST'));
  } finally {
    await page.close();
  }
});
