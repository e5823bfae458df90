// The booking board in a real headless Chromium (playwright-core driving Debian's
// /usr/bin/chromium), served from dist/ by the real relay (scripts/serve.mjs starts
// target/debug/converge-relay with --static and a temporary data directory), through
// which every replica syncs: two replicas side by side in one tab plus a third in a
// second browser context (its own storage, no channel to the first but the relay);
// one goes offline (its socket closes); both edit the same holds; back online, the
// board converges under the field policies, the released-vs-active edit
// lands in every inbox, resolving it empties them all and is audited; then the relay
// is killed mid-test, both sides edit while it is down, it restarts, everyone
// reconnects and converges, with the new conflict in every inbox; then a reload keeps
// an offline replica's state and queued deltas, which still sync. A fresh browser
// context on its own relay document plays 'Show me'.
// Saves the screenshot README shows at docs/demo.png.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { buildRelay, startRelay } from '../scripts/serve.mjs';

const dist = fileURLToPath(new URL('../dist', import.meta.url));
const screenshot = fileURLToPath(new URL('../../../docs/demo.png', import.meta.url));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const WAIT = { timeout: 15_000 };

let site;
let data;
let browser;
let context;
const problems = [];
const newContext = () => browser.newContext({ viewport: { width: 1480, height: 1000 }, deviceScaleFactor: 1 });

before(async () => {
  assert.ok(existsSync(`${dist}/index.html`), 'build the app first: npm run build');
  buildRelay();
  data = await mkdtemp(join(tmpdir(), 'booking-board-relay-'));
  site = await startRelay({ dir: dist, data, quiet: true });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  context = await newContext();
});

after(async () => {
  await browser?.close();
  await site?.stop('SIGKILL');
  if (data) await rm(data, { recursive: true, force: true });
});

async function open(path, inContext = context) {
  const page = await inContext.newPage();
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    // A socket to a relay that is down is expected while it restarts.
    if (/WebSocket connection to .* failed/.test(m.text())) return;
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console.${m.type()}: ${m.text()}`);
  });
  await page.goto(site.url + path);
  await page.waitForSelector('body[data-ready="1"]', WAIT);
  return page;
}

/** Helpers bound to one replica's card. */
function replica(page, label) {
  const card = page.locator(`[data-replica="${label}"]`);
  const row = (hold) => card.locator(`tr[data-hold="${hold}"]`);
  return {
    card,
    label,
    field: (hold, field) => row(hold).locator(`[data-field="${field}"]`),
    stat: (name) => card.locator(`[data-stat="${name}"]`),
    async status(hold) {
      return row(hold).locator('select[data-field="status"]').inputValue();
    },
    async setStatus(hold, value) {
      await row(hold).locator('select[data-field="status"]').selectOption(value);
    },
    async setExpiry(hold, value) {
      await row(hold).locator('input[data-field="expires_at"]').fill(value);
      await row(hold).locator('input[data-field="expires_at"]').blur();
    },
    async expiry(hold) {
      return row(hold).locator('input[data-field="expires_at"]').inputValue();
    },
    /** Flips the online switch and waits until the card shows `online`. */
    async setOnline(online) {
      await card.locator('[data-action="toggle-online"]').click();
      await page.locator(`[data-replica="${label}"][data-online="${online}"]`).waitFor(WAIT);
    },
    /** Waits until `field` of `hold` holds `value` (a select's or an input's value). */
    async waitValue(hold, field, value) {
      await page.waitForFunction(
        ([l, h, f, v]) => document.querySelector(`[data-replica="${l}"] tr[data-hold="${h}"] [data-field="${f}"]`)?.value === v,
        [label, hold, field, value],
        WAIT,
      );
    },
    /** Waits until the card's stat `name` reads `text`. */
    async waitStat(name, text) {
      await assert.doesNotReject(
        card.locator(`[data-stat="${name}"]`, { hasText: new RegExp(`^${text}$`) }).waitFor(WAIT),
        `replica ${label}: ${name} never read ${text}`,
      );
    },
    inbox: () => card.locator('.inbox-entry'),
    async waitInbox(count) {
      await card.locator(`section.inbox[data-count="${count}"]`).waitFor(WAIT);
    },
    /** The replica's Document state, hex-encoded (equal states encode equally). */
    encoded: () =>
      page.evaluate((l) => {
        const r = globalThis.board.replicas.find((x) => x.label === l);
        return Array.from(r.doc.encode(), (b) => b.toString(16).padStart(2, '0')).join('');
      }, label),
    boardText: () => card.locator('table.board tbody').evaluate((tbody) =>
      [...tbody.querySelectorAll('tr')].map((tr) =>
        [...tr.querySelectorAll('td')].map((td) => {
          const control = td.querySelector('input:not(.tag-input), select');
          return control ? control.value : td.textContent.trim();
        }).join(' | '),
      ),
    ),
  };
}

test('two replicas and a tab: offline edits, merge under policies, inbox, audit, reload', async () => {
  const page = await open('');
  const [a, b] = [replica(page, 'A'), replica(page, 'B')];
  // The first run seeds three holds; B starts empty and syncs them from A.
  for (const r of [a, b]) {
    await r.waitStat('relay', 'online');
    await r.waitStat('pending', '0');
    assert.deepEqual(await r.card.locator('tr[data-hold]').evaluateAll((rows) => rows.map((x) => x.dataset.hold)), ['h1', 'h2', 'h3']);
  }
  assert.equal(await b.status('h2'), 'confirmed');

  // A second browser (its own storage, no channel to the first but the relay) is one
  // more replica: it learns from the relay that the board exists, so it is C and
  // seeds nothing.
  const tab = await open('?replicas=1', await newContext());
  const c = replica(tab, 'C');
  await c.waitStat('relay', 'online');
  await c.card.locator('tr[data-hold="h3"]').waitFor(WAIT);

  // B goes offline; A and B edit the same holds.
  await b.setOnline(false);
  await b.waitStat('relay', 'offline');
  const base = await a.expiry('h1');
  const [day] = base.split('T');
  const earlier = `${day}T21:00`;
  const later = `${day}T22:30`;
  await a.setStatus('h1', 'confirmed');
  await a.setExpiry('h1', earlier);
  await b.setStatus('h1', 'released');
  await b.setExpiry('h1', later);
  await a.setStatus('h2', 'active');
  await b.setStatus('h2', 'released');
  await b.waitStat('pending', '3');
  assert.equal(await b.status('h1'), 'released', 'offline, B shows its own edit');
  await a.waitStat('pending', '0'); // the relay committed and acknowledged A's edits
  await c.waitValue('h2', 'status', 'active');
  assert.equal(await c.status('h1'), 'confirmed');

  // Back online: everything converges.
  await b.setOnline(true);
  for (const r of [a, b, c]) {
    await r.waitStat('pending', '0');
    await r.waitInbox(1);
  }
  const boards = await Promise.all([a, b, c].map((r) => r.boardText()));
  assert.deepEqual(boards[1], boards[0], 'B shows the same board as A');
  assert.deepEqual(boards[2], boards[0], 'the other browser shows the same board');
  const states = await Promise.all([a, b, c].map((r) => r.encoded()));
  assert.equal(states[1], states[0], 'A and B hold byte-identical states');
  assert.equal(states[2], states[0], 'so does C, in the other browser');
  for (const r of [a, b, c]) {
    assert.equal(await r.status('h1'), 'confirmed', `${r.label}: confirmed absorbs released`);
    assert.equal(await r.expiry('h1'), later, `${r.label}: the later expiry wins`);
    // The released-vs-active edit waits for a person, with both values and writers.
    const entry = r.inbox().first();
    assert.equal(await entry.getAttribute('data-path'), 'holds/h2/status');
    const candidates = await entry.locator('.candidate').allInnerTexts();
    assert.equal(candidates.length, 2);
    assert.ok(candidates.some((t) => t.startsWith('active') && t.includes('by A')), candidates.join(' / '));
    assert.ok(candidates.some((t) => t.startsWith('released') && t.includes('by B')), candidates.join(' / '));
    // The two edits were made well within the 2 s skew tolerance.
    assert.equal(await entry.locator('[data-verdict]').getAttribute('data-verdict'), 'ambiguous');
    // The fields the policies settled are listed too, not hidden.
    const settled = await r.card.locator('details.settled li').evaluateAll((li) => li.map((x) => x.dataset.path).sort());
    assert.deepEqual(settled, ['holds/h1/expires_at', 'holds/h1/status']);
    assert.ok(Number(await r.stat('conflicts').textContent()) >= 1, `${r.label} counted the conflicts its merges met`);
  }
  // Merges that met conflicts are in the shared audit log.
  await page.waitForFunction(() => document.querySelectorAll('[data-replica="A"] .audit [data-kind="conflict"]').length >= 2);

  await mkdir(dirname(screenshot), { recursive: true });
  await page.screenshot({ path: screenshot, fullPage: true });

  // Resolve on A by keeping B's value: an ordinary write that supersedes both.
  const auditBefore = Number(await a.card.locator('section.audit-log').getAttribute('data-count'));
  await a.inbox().first().locator('.candidate', { hasText: 'released' }).locator('[data-action="keep"]').click();
  for (const r of [a, b, c]) {
    await r.waitInbox(0);
    assert.equal(await r.status('h2'), 'released');
    await r.card.locator('.audit [data-kind="resolved"]').first().waitFor(WAIT);
    const resolved = await r.card.locator('.audit [data-kind="resolved"]').allInnerTexts();
    assert.equal(resolved.length, 1, `${r.label}: one resolution entry`);
    assert.match(resolved[0], /A resolved h2 · status → released/);
  }
  const auditAfter = Number(await a.card.locator('section.audit-log').getAttribute('data-count'));
  assert.equal(auditAfter, auditBefore + 1);
  const auditTexts = await Promise.all([a, b, c].map((r) => r.card.locator('ol.audit').innerText()));
  assert.equal(auditTexts[1], auditTexts[0], 'every replica shows the same log');
  assert.equal(auditTexts[2], auditTexts[0]);

  // The relay dies (SIGKILL) mid-session; both sides edit h3 while it is down.
  await a.setStatus('h3', 'confirmed');
  for (const r of [b, c]) await r.waitValue('h3', 'status', 'confirmed');
  await a.waitStat('pending', '0');
  const port = site.port;
  await site.stop('SIGKILL');
  for (const r of [a, b, c]) await r.waitStat('relay', 'connecting');
  await a.setStatus('h3', 'active');
  await b.setStatus('h3', 'released');
  await b.waitStat('pending', '1');
  site = await startRelay({ dir: dist, data, port, quiet: true });
  for (const r of [a, b, c]) {
    await r.waitStat('relay', 'online');
    await r.waitStat('pending', '0');
    await r.waitInbox(1);
    assert.equal(await r.inbox().first().getAttribute('data-path'), 'holds/h3/status');
  }
  const afterRestart = await Promise.all([a, b, c].map((r) => r.encoded()));
  assert.equal(afterRestart[1], afterRestart[0], 'A and B converge after the relay restart');
  assert.equal(afterRestart[2], afterRestart[0], 'so does C');
  await a.inbox().first().locator('.candidate', { hasText: 'active' }).locator('[data-action="keep"]').click();
  for (const r of [a, b, c]) await r.waitInbox(0);

  // Persistence: B goes offline and queues two edits; the page reloads.
  await b.setOnline(false);
  await b.waitStat('relay', 'offline');
  const seatsBefore = Number(await b.field('h3', 'seats').textContent());
  await b.card.locator('tr[data-hold="h3"] [data-action="seat-plus"]').click();
  await b.field('h3', 'notes').fill('called back, wants the aisle');
  await b.field('h3', 'notes').press('Enter');
  await b.waitStat('pending', '2');
  // IndexedDB committed a snapshot holding both queued deltas.
  await b.card.locator('[data-role="saved"][data-saved-queue="2"]').waitFor(WAIT);
  const writers = () =>
    page.evaluate(() => globalThis.board.replicas.map((r) => [r.label, r.id, r.doc.writerId]));
  const writersBefore = await writers();
  await page.reload();
  await page.waitForSelector('body[data-ready="1"]', WAIT);
  // Durable writers: the reload keeps every replica's writer id (its replica id).
  assert.deepEqual(await writers(), writersBefore);
  for (const [label, id, writer] of writersBefore) assert.equal(writer, id, `${label} writes under its own id`);
  const [a2, b2] = [replica(page, 'A'), replica(page, 'B')];
  assert.equal(await b2.card.getAttribute('data-online'), 'false', 'B is still offline after the reload');
  await b2.waitStat('pending', '2');
  assert.equal(await b2.field('h3', 'seats').textContent(), String(seatsBefore + 1));
  assert.equal(await b2.field('h3', 'notes').inputValue(), 'called back, wants the aisle');
  assert.equal(await a2.status('h2'), 'released', 'A restored its state too');
  assert.equal(await c.field('h3', 'seats').textContent(), String(seatsBefore), 'the queued edits have not left B');
  // Back online, the queued deltas reach the others.
  await b2.setOnline(true);
  for (const r of [a2, c]) {
    await r.card.locator('tr[data-hold="h3"] [data-field="seats"]', { hasText: String(seatsBefore + 1) }).waitFor(WAIT);
    assert.equal(await r.field('h3', 'notes').inputValue(), 'called back, wants the aisle');
  }
  await b2.waitStat('pending', '0');
  // One writer id per replica in the document, whatever the reloads and restarts.
  const version = await page.evaluate(() => Object.keys(globalThis.board.replicas[0].doc.version()).sort());
  const ids = [...writersBefore.map(([, id]) => id), await tab.evaluate(() => globalThis.board.replicas[0].id)].sort();
  assert.deepEqual(version, ids);
  assert.deepEqual(problems, [], 'no page errors or warnings');
});

test("a first-time user's 'Show me' plays the seeds' case: h1 settles, h2 waits in both inboxes", async () => {
  const fresh = await newContext(); // its own IndexedDB: a first run again
  try {
    // Its own relay document too: a first run of the board.
    const page = await open('?doc=show-me', fresh);
    const [a, b] = [replica(page, 'A'), replica(page, 'B')];
    await b.waitStat('relay', 'online');
    await page.locator('#show-me').click();
    await b.waitStat('relay', 'offline');
    await page.locator('#show-me:not([disabled])').waitFor(WAIT);
    for (const r of [a, b]) {
      await r.waitInbox(1);
      await r.waitStat('pending', '0');
      assert.equal(await r.status('h1'), 'confirmed');
      assert.equal(await r.inbox().first().getAttribute('data-path'), 'holds/h2/status');
    }
    assert.equal(await a.expiry('h1'), await b.expiry('h1'));
    for (const r of [a, b]) {
      const settled = await r.card.locator('details.settled li').evaluateAll((li) => li.map((x) => x.dataset.path).sort());
      assert.deepEqual(settled, ['holds/h1/expires_at', 'holds/h1/status']);
    }
    assert.deepEqual(problems, []);
  } finally {
    await fresh.close();
  }
});
