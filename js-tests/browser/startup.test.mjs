// The default entries' start-up in a real headless Chromium (issue 16): importing
// wasm/npm/dist/index.js (or dist/core/index.js) decodes the inlined wasm and compiles
// it synchronously, which blocks the main thread. The test imports each in a fresh
// page while a ticker posts messages to itself, and reports (as a diagnostic, not an assertion: timings on a
// shared machine are noisy) the longest gap between ticks, i.e. the longest time the
// main thread could not respond, plus any long tasks the browser recorded. It asserts
// only that the module works after the import. Run several times; the median is shown.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createReadStream, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, normalize } from 'node:path';
import { chromium } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];
const dist = fileURLToPath(new URL('../../wasm/npm/dist/', import.meta.url));
const RUNS = Number(process.env.CONVERGE_STARTUP_RUNS ?? 5);

let server;
let origin;
let browser;

before(async () => {
  server = createServer((req, res) => {
    const path = new URL(req.url, 'http://localhost').pathname;
    if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>startup</title>');
      return;
    }
    const file = path.startsWith('/dist/') && normalize(join(dist, path.slice('/dist/'.length)));
    if (!file || !file.startsWith(normalize(dist)) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/javascript', 'cache-control': 'no-store' });
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

/** One import of a default entry (`entry`, under /dist/) in a fresh page: the longest
 * main-thread block, and a document's read after one write. */
async function measureOnce(entry) {
  const page = await browser.newPage();
  try {
    await page.goto(origin + '/');
    return await page.evaluate(async (entry) => {
      const longTasks = [];
      const observer = new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) longTasks.push(entry.duration);
      });
      try {
        observer.observe({ type: 'longtask', buffered: true });
      } catch {
        // no long task timing in this browser: the ticker alone measures
      }
      // The ticker: a message to itself, again and again; a gap between two ticks is
      // time the main thread was busy with something else (the import's work).
      const channel = new MessageChannel();
      let last = performance.now();
      let longestGap = 0;
      let ticking = true;
      channel.port1.onmessage = () => {
        const now = performance.now();
        longestGap = Math.max(longestGap, now - last);
        last = now;
        if (ticking) channel.port2.postMessage(0);
      };
      channel.port2.postMessage(0);
      await new Promise((resolve) => setTimeout(resolve, 50));
      longestGap = 0;
      const started = performance.now();
      const converge = await import(entry);
      const imported = performance.now() - started;
      await new Promise((resolve) => setTimeout(resolve, 50));
      ticking = false;
      observer.disconnect();
      const doc = new converge.Document();
      doc.increment('n');
      return { longestGap, imported, longTasks, value: String(doc.get('n')) };
    }, entry);
  } finally {
    await page.close();
  }
}

// The main default entry, and converge-crdt/core's (the document alone, about half the
// wasm to decode and compile).
for (const [name, entry] of [
  ['the default entry', '/dist/index.js'],
  ["converge-crdt/core's default entry", '/dist/core/index.js'],
]) {
  test(`Chromium: ${name} imports and works; main-thread blocking reported`, async (t) => {
    const runs = [];
    for (let i = 0; i < RUNS; i++) runs.push(await measureOnce(entry));
    for (const run of runs) assert.equal(run.value, '1');
    const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const blocking = median(runs.map((r) => r.longestGap));
    const imported = median(runs.map((r) => r.imported));
    const message =
      `${name} (${entry}) start-up in headless Chromium, median of ${RUNS}: longest main-thread block ` +
      `${blocking.toFixed(1)} ms (goal 30 ms), whole import ${imported.toFixed(1)} ms; ` +
      `long tasks per run: ${runs.map((r) => r.longTasks.map((d) => d.toFixed(0)).join('+') || '0').join(', ')}`;
    t.diagnostic(message);
    console.log(message);
  });
}
