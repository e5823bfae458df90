// converge-crdt/relay in headless Chromium, against the real relay binary serving the
// page itself (`--static`): a replica persisted in IndexedDB (persist + indexedDbStore)
// connects through the relay; five reloads of the page restore it from IndexedDB with
// the same writer id and its writes; a second browser context (separate storage, no
// BroadcastChannel between them) syncs through the relay; the document ends with one
// writer id per profile.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { npmPackageDir } from '../packaging/lib.mjs';
import { cleanup, dataDir, startRelay } from '../node/relay-helpers.mjs';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];

const PAGE = `<!doctype html><meta charset="utf-8"><title>relay persistence</title>
<script type="module">
import { Document } from './dist/index.js';
import { connect, indexedDbStore, persist } from './dist/relay.js';
window.openBoard = async () => {
  const saved = await persist(Document, 'board', { store: indexedDbStore('relay-test') });
  const url = location.origin.replace(/^http/, 'ws') + '/v1/docs/browser-board';
  const connection = connect(saved.doc, url, { persisted: saved, minDelayMs: 20, maxDelayMs: 200 });
  window.board = { saved, connection, doc: saved.doc };
  return { writerId: saved.doc.writerId, primary: saved.primary, json: saved.doc.toJSON() };
};
window.whenSynced = (predicate) => new Promise((resolve) => {
  const check = () => {
    const { connection, doc } = window.board;
    const s = connection.status;
    if (s.state === 'online' && s.pending === 0 && s.unsaved === 0 && predicate(doc)) {
      resolve({ json: doc.toJSON(), writers: Object.keys(doc.version()) });
    } else setTimeout(check, 10);
  };
  check();
});
window.ready = true;
</script>`;

describe('relay + IndexedDB persistence in Chromium', () => {
  let dir;
  let site;
  let relay;
  let browser;
  before(async () => {
    dir = dataDir();
    site = dataDir();
    mkdirSync(join(site, 'dist'));
    cpSync(join(npmPackageDir, 'dist'), join(site, 'dist'), { recursive: true });
    writeFileSync(join(site, 'index.html'), PAGE);
    relay = await startRelay({ data: dir, args: ['--static', site] });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
  });
  after(async () => {
    await browser?.close();
    await relay?.stop('SIGKILL');
    cleanup(dir);
    cleanup(site);
  });

  test('reloads keep the writer id and the writes; a second profile syncs through the relay', async () => {
    const origin = `http://${relay.address}/`;
    const profile = await browser.newContext();
    const page = await profile.newPage();
    let writer;
    for (let reload = 0; reload < 5; reload++) {
      if (reload === 0) await page.goto(origin);
      else await page.reload();
      await page.waitForFunction(() => window.ready === true);
      const opened = await page.evaluate(() => window.openBoard());
      assert.equal(opened.primary, true);
      if (reload === 0) writer = opened.writerId;
      else {
        assert.equal(opened.writerId, writer, `reload ${reload} keeps the writer id`);
        assert.equal(opened.json.count, reload, 'the saved writes are restored from IndexedDB');
      }
      await page.evaluate(() => window.board.doc.increment(['count'], 1));
      const synced = await page.evaluate((n) => window.whenSynced((doc) => doc.get(['count']) === n), reload + 1);
      assert.equal(synced.json.count, reload + 1);
    }
    // A second profile: its own IndexedDB, no channel to the first but the relay.
    const other = await browser.newContext();
    const otherPage = await other.newPage();
    await otherPage.goto(origin);
    await otherPage.waitForFunction(() => window.ready === true);
    const second = await otherPage.evaluate(() => window.openBoard());
    assert.notEqual(second.writerId, writer);
    await otherPage.evaluate(() => window.board.doc.set(['from'], 'second profile'));
    const seen = await page.evaluate(() => window.whenSynced((doc) => doc.get(['from']) === 'second profile'));
    assert.equal(seen.json.count, 5);
    assert.deepEqual(seen.writers.sort(), [writer, second.writerId].sort(), 'one writer id per profile, whatever the reloads');
    await profile.close();
    await other.close();
  });
});
