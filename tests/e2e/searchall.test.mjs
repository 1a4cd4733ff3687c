// Search across all folders (issue 17) against the real stack: the scope
// toggle in the search box, results from two folders merged newest first
// with the folder on each row, a row opened in its own folder (and the
// way back to the results), paging, and a search cancelled while it runs.
// Screenshots: desktop and phone, light and dark.
//
//   PETREL_BASE_URL=http://127.0.0.1:8080 node --test searchall.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DESKTOP, PHONE, launch, login, pageApi, shot, withPage } from './lib.mjs';

const USER = { email: 'carol@example.org', password: 'carol-pass-3' };
const RUN = String(Date.now());

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

function eml(subject, date, word) {
  return `From: Dora Field <dora@example.test>\r\nTo: ${USER.email}\r\n` +
    `Subject: ${subject} ${word}\r\nDate: ${date}\r\n\r\nQuarterly ${word} notes\r\n`;
}

// Files into a folder through FolderImport (the API the UI's drop uses).
async function put(page, folder, files) {
  const st = await page.evaluate(async ([folder, files]) => {
    const boot = JSON.parse(document.body.dataset.petrel);
    const fd = new FormData();
    fd.append('folder', folder);
    files.forEach((f, i) => fd.append('file', new File([f], `m${i}.eml`, { type: 'message/rfc822' })));
    const r = await fetch('/api/FolderImport', {
      method: 'POST', credentials: 'same-origin',
      headers: { 'X-Petrel-Token': boot.csrf }, body: fd,
    });
    return r.status;
  }, [folder, files]);
  assert.equal(st, 200);
}

async function fixture(page, tag, extra = 0) {
  const word = `zq${tag}${RUN}`;
  const folder = `Projects${tag}${RUN}`;
  assert.equal((await pageApi(page, 'FolderCreate', { path: folder })).status, 200);
  await pageApi(page, 'FolderSubscribe', { path: folder, value: true });
  await put(page, 'INBOX', [eml('Budget review', 'Thu, 05 Mar 2026 10:00:00 +0000', word),
    eml('Old kickoff', 'Mon, 02 Mar 2026 10:00:00 +0000', word)]);
  await put(page, folder, [eml('Roadmap draft', 'Wed, 04 Mar 2026 10:00:00 +0000', word)]);
  const older = [];
  for (let i = 0; i < extra; i++) older.push(eml(`Filler ${i}`, `Sun, 01 Feb 2026 ${String(10 + i)}:00:00 +0000`, word));
  if (older.length) await put(page, 'INBOX', older);
  return { word, folder };
}

async function searchAll(page, word, phone) {
  if (phone) await page.tap('#search-input'); else await page.click('#search-input');
  await page.fill('#search-input', word);
  // With text in the box, choosing "All folders" searches at once.
  const choose = page.locator('#search-scope-all');
  if (phone) await choose.tap(); else await choose.click();
  await page.waitForSelector('#list .sa-row');
}

const rowTexts = (page) => page.$$eval('#list .sa-row', (rs) => rs.map((r) => ({
  folder: r.querySelector('.sa-folder').textContent,
  subject: r.querySelector('.row-subject').textContent,
})));

for (const [label, opts, phone] of [['desktop', DESKTOP, false], ['phone', PHONE, true]]) {
  for (const scheme of ['light', 'dark']) {
    test(`search all folders, ${label} ${scheme}`, async () => {
      await withPage(browser, { ...opts, colorScheme: scheme }, `searchall-${label}-${scheme}`, async (page, problems) => {
        await login(page, USER);
        const { word, folder } = await fixture(page, `${label[0]}${scheme[0]}`);
        await page.reload();
        await page.waitForSelector('#list');
        await searchAll(page, word, phone);
        assert.match(page.url(), /#\/search\?q=/);
        const rows = await rowTexts(page);
        assert.deepEqual(rows.map((r) => r.subject.split(' ')[0]), ['Budget', 'Roadmap', 'Old']);
        assert.equal(rows[1].folder, folder);
        assert.notEqual(rows[0].folder, folder);
        assert.equal(await page.textContent('#list-title'), 'All folders');
        // Nothing wider than the screen, the scope toggle included.
        await page.focus('#search-input');
        assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= innerWidth));
        assert.ok(await page.isVisible('#search-scope-all'));
        await page.evaluate(() => document.activeElement.blur());
        assert.match(await page.textContent('#list-count'), /3/);
        // The list toolbar of the folder view has nothing to act on here.
        assert.equal(await page.isVisible('#list-toolbar'), false);
        await shot(page, `searchall-${label}-${scheme}`);

        // The row from the other folder opens there, with the folder's actions.
        const second = page.locator('#list .sa-row').nth(1);
        if (phone) await second.tap(); else await second.click();
        await page.waitForFunction((f) => decodeURIComponent(location.hash).startsWith('#/folder/' + f + '?'), folder);
        await page.waitForSelector('#message .msg-subject');
        assert.match(await page.textContent('#message .msg-subject'), /Roadmap draft/);
        assert.ok(page.url().includes('m='));
        if (phone) {
          await page.tap('[data-action="back"]');
          await page.waitForSelector('#list .row[data-uid]');
        }
        await page.waitForSelector('#sa-back:not([hidden])');
        // Flag it in its folder: the action works on that folder.
        if (!phone) {
          await page.click('#message [data-action="msg-flag"]');
          await page.waitForSelector('#list .row.flagged');
        }
        await shot(page, `searchall-opened-${label}-${scheme}`);
        // Back to the kept results (no new search on the server).
        const again = page.waitForResponse((r) => r.url().endsWith('/api/SearchAll'));
        if (phone) await page.tap('#sa-back'); else await page.click('#sa-back');
        const body = await (await again).json();
        assert.equal(body.reused, true);
        await page.waitForSelector('#list .sa-row');
        assert.equal((await rowTexts(page)).length, 3);
        if (!phone) assert.equal(await page.locator('#list .sa-row.flagged').count(), 1);

        // Leaving: the chip's × brings the folder list back.
        if (phone) await page.tap('#search-chip-clear'); else await page.click('#search-chip-clear');
        await page.waitForSelector('#list .row[data-uid]');
        assert.equal(await page.isVisible('#list-toolbar'), true);
        assert.deepEqual(problems, []);
      });
    });
  }
}

test('paging, an empty result, and a cancelled search', async () => {
  await withPage(browser, DESKTOP, 'searchall-paging', async (page, problems) => {
    await login(page, USER);
    const { word } = await fixture(page, 'pg', 4);
    // Five rows a page (the smallest setting) for seven matches.
    assert.equal((await pageApi(page, 'SettingsSave', { messagesPerPage: 5 })).status, 200);
    await page.reload();
    await page.waitForSelector('#list');
    await searchAll(page, word, false);
    assert.equal(await page.locator('#list .sa-row').count(), 5);
    assert.match(await page.textContent('.sa-pager .pager-info'), /1.5 of 7/);
    assert.equal(await page.isDisabled('#sa-prev'), true);
    const p2 = page.waitForResponse((r) => r.url().endsWith('/api/SearchAll'));
    await page.click('#sa-next');
    assert.equal((await (await p2).json()).reused, true);
    await page.waitForFunction(() => location.hash.includes('page=2'));
    await page.waitForFunction(() => document.querySelectorAll('#list .sa-row').length === 2);
    const subs = await page.$$eval('#list .sa-row .row-subject', (n) => n.map((x) => x.textContent));
    assert.match(subs[0], /Filler 1/);
    assert.match(subs[1], /Filler 0/);
    assert.match(await page.textContent('.sa-pager .pager-info'), /6.7 of 7/);
    assert.equal(await page.isDisabled('#sa-next'), true);
    await pageApi(page, 'SettingsSave', { messagesPerPage: 25 });

    // Nothing anywhere: the empty state says where it looked.
    await page.fill('#search-input', `nothing${RUN}`);
    await page.press('#search-input', 'Enter');
    await page.waitForSelector('#list .empty-state');
    assert.match(await page.textContent('#list .empty-title'), /Nothing found in any folder/);
    await shot(page, 'searchall-empty-desktop');

    // Cancel while it runs: the answer is held back until Cancel was pressed.
    let release;
    const held = new Promise((r) => { release = r; });
    await page.route('**/api/SearchAll', async (route) => { await held; await route.continue().catch(() => {}); });
    const cancelled = page.waitForRequest((r) => r.url().endsWith('/api/SearchAllCancel'));
    await page.fill('#search-input', word);
    await page.press('#search-input', 'Enter');
    await page.waitForSelector('.sa-bar:not([hidden])');
    assert.match(await page.textContent('.sa-bar'), /Searching all folders/);
    await shot(page, 'searchall-progress-desktop');
    await page.click('#sa-cancel');
    await cancelled;
    await page.waitForSelector('#list .empty-state');
    assert.match(await page.textContent('#list .empty-title'), /Search cancelled/);
    release();
    await page.unroute('**/api/SearchAll');
    // The late answer of the aborted call draws nothing.
    await page.waitForTimeout(300);
    assert.equal(await page.locator('#list .sa-row').count(), 0);
    // A new search after that works.
    await page.fill('#search-input', word);
    await page.press('#search-input', 'Enter');
    await page.waitForSelector('#list .sa-row');
    assert.equal(await page.locator('#list .sa-row').count(), 5);
    // Aborted fetches are no failure; anything else is.
    assert.deepEqual(problems.filter((p) => !/SearchAll.*ERR_ABORTED|ERR_FAILED/.test(p)), []);
  });
});
