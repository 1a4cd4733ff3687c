// Folder import and export (issue 17) against the real stack: "Import…" in
// the folder menu with the file picker, .eml files dropped onto a folder
// in the sidebar (one of them broken: the toast names it, the good ones
// land), and "Export (mbox)" downloading the folder as an mboxrd file.
//
//   PETREL_BASE_URL=http://127.0.0.1:8080 node --test transfer.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { BASE_URL, DESKTOP, launch, pageApi, PHONE, shot, withPage } from './lib.mjs';

const USER = process.env.PETREL_E2E_USER || 'alice@example.test';
const PASS = process.env.PETREL_E2E_PASS || 'alice-pass-1';

const shotPath = (name) => path.join(process.env.PETREL_E2E_ARTIFACTS || 'e2e-artifacts', name + '.png');

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const li = (path) => `#folders li[data-path="${path.replace(/"/g, '\\"')}"]`;

async function login(page) {
  await page.goto(BASE_URL + '/');
  await page.waitForSelector('#login-form');
  await page.fill('#login-email', USER);
  await page.fill('#login-password', PASS);
  await Promise.all([page.waitForNavigation(), page.click('#login-submit')]);
  await page.waitForSelector('#list .row[data-uid]');
}

function eml(subject) {
  return `From: Importer <imp@example.test>\r\nTo: ${USER}\r\nSubject: ${subject}\r\n` +
    'Date: Tue, 03 Mar 2026 09:00:00 +0000\r\n\r\nFrom the archive\r\n';
}

async function openMenu(page, path, phone) {
  if (phone) {
    // The drawer closes after a menu action; the ⋯ button opens the menu.
    if (!(await page.isVisible(`${li(path)} .folder-link`))) await page.tap('#drawer-open');
    await page.tap(`${li(path)} .folder-more`);
  } else await page.click(`${li(path)} .folder-link`, { button: 'right' });
  await page.waitForSelector('#folder-menu:not([hidden])');
}

async function importAndExport(page, name, phone) {
  assert.equal((await pageApi(page, 'FolderCreate', { path: name })).status, 200);
  try {
    await page.click('[data-action="refresh"]');
    await page.waitForSelector(li(name), { state: 'attached' });
    if (!phone) {
      // Drop two files from the "desktop" onto the folder: one good, one not a message.
      const done = page.waitForResponse((r) => r.url().endsWith('/api/FolderImport'));
      await page.evaluate(({ sel, good }) => {
        const dt = new DataTransfer();
        dt.items.add(new File([good], 'good.eml', { type: 'message/rfc822' }));
        dt.items.add(new File(['\u0089PNG not mail'], 'broken.eml', { type: 'message/rfc822' }));
        const row = document.querySelector(sel);
        const target = row.querySelector('.folder-link');
        target.dispatchEvent(new DragEvent('dragover', { bubbles: true, cancelable: true, dataTransfer: dt }));
        target.dispatchEvent(new DragEvent('drop', { bubbles: true, cancelable: true, dataTransfer: dt }));
      }, { sel: li(name), good: eml('Dropped one') });
      const r = await (await done).json();
      assert.equal(r.imported, 1);
      assert.equal(r.failed, 1);
      await page.waitForFunction(() => /broken\.eml/.test(document.getElementById('toasts').textContent));
      await page.waitForTimeout(300);
      await shot(page, 'transfer-drop-result');
    }
    // Import… with the file picker.
    await openMenu(page, name, phone);
    await page.waitForTimeout(300); // the menu's fade-in
    await shot(page, phone ? 'transfer-menu-phone' : 'transfer-menu');
    const chooser = page.waitForEvent('filechooser');
    await page.click('#folder-menu [data-folder-action="import"]');
    const done = page.waitForResponse((r) => r.url().endsWith('/api/FolderImport'));
    await (await chooser).setFiles([{ name: 'picked.eml', mimeType: 'message/rfc822', buffer: Buffer.from(eml('Picked one')) }]);
    const r = await (await done).json();
    assert.equal(r.imported, 1, JSON.stringify(r));
    await page.waitForFunction(() => /Imported 1/.test(document.getElementById('toasts').textContent));
    const list = (await pageApi(page, 'MessageList', { folder: name })).body.messages;
    assert.deepEqual(list.map((m) => m.subject).sort(), phone ? ['Picked one'] : ['Dropped one', 'Picked one']);

    // Export (mbox): a download of the whole folder.
    await openMenu(page, name, phone);
    const dl = page.waitForEvent('download');
    await page.click('#folder-menu [data-folder-action="export"]');
    const file = await (await dl).path();
    const text = fs.readFileSync(file, 'utf8');
    assert.match(text, /^From imp@example\.test Tue Mar {2}3 09:00:00 2026\n/);
    assert.match(text, /\n>From the archive\n/);
    assert.equal((text.match(/^From /mg) || []).length, list.length);

    // Export (zip of .eml files): one entry per message (the integration
    // test opens it and compares the bytes).
    await openMenu(page, name, phone);
    const zdl = page.waitForEvent('download');
    await page.click('#folder-menu [data-folder-action="export-zip"]');
    const zd = await zdl;
    assert.match(zd.url(), /[?&]format=zip\b/);
    const zip = fs.readFileSync(await zd.path());
    assert.equal(zip.subarray(0, 4).toString('binary'), 'PK\x03\x04');
    // Each name is in its local header and in the central directory.
    assert.equal((zip.toString('binary').match(/\(\d+\)\.eml/g) || []).length, 2 * list.length);

    if (!phone) {
      // The list toolbar exports the selection only.
      await page.click(`${li(name)} .folder-link`);
      await page.waitForSelector('#list .row[data-uid]');
      await page.click('#list .row[data-uid] input[type="checkbox"]');
      await page.waitForFunction(() => !document.getElementById('export-sel-btn').disabled);
      await page.click('#export-sel-btn');
      await page.waitForSelector('#export-sel-menu:not([hidden])');
      await shot(page, 'transfer-export-selection');
      const sel = page.waitForEvent('download');
      await page.click('#export-sel-menu [data-export-format="mbox"]');
      const d = await sel;
      assert.match(d.url(), /[?&]uids=\d+$/);
      assert.match(d.url(), /[?&]format=mbox\b/);
      const one = fs.readFileSync(await d.path(), 'utf8');
      assert.equal((one.match(/^From /mg) || []).length, 1);
      assert.ok(await page.isHidden('#export-sel-menu'));
      // The same selection as a zip: one .eml entry.
      await page.click('#export-sel-btn');
      const zsel = page.waitForEvent('download');
      await page.click('#export-sel-menu [data-export-format="zip"]');
      const zd1 = await zsel;
      assert.match(zd1.url(), /[?&]format=zip\b/);
      const z1 = fs.readFileSync(await zd1.path());
      assert.equal(z1.subarray(0, 4).toString('binary'), 'PK\x03\x04');
      assert.equal((z1.toString('binary').match(/\(\d+\)\.eml/g) || []).length, 2);
    }
  } finally {
    if (!phone) await page.click(`${li('INBOX')} .folder-link`).catch(() => {});
    await pageApi(page, 'FolderDelete', { path: name });
  }
}

test('import by drop and by picker, export as mbox (desktop, light)', async () => {
  await withPage(browser, { ...DESKTOP, acceptDownloads: true }, 'transfer-desktop', async (page, problems) => {
    await login(page);
    await importAndExport(page, `E2E Import ${Date.now()}`, false);
    assert.deepEqual(problems, []);
  });
});

test('import and export menu in the dark and on a phone', async () => {
  await withPage(browser, { ...DESKTOP, colorScheme: 'dark', acceptDownloads: true }, 'transfer-dark', async (page, problems) => {
    await login(page);
    const name = `E2E Dark ${Date.now()}`;
    assert.equal((await pageApi(page, 'FolderCreate', { path: name })).status, 200);
    try {
      await page.click('[data-action="refresh"]');
      await page.waitForSelector(li(name), { state: 'attached' });
      await openMenu(page, name);
      await page.waitForTimeout(300);
      await shot(page, 'transfer-menu-dark');
    } finally {
      await page.keyboard.press('Escape');
      await pageApi(page, 'FolderDelete', { path: name });
    }
    assert.deepEqual(problems, []);
  });
  await withPage(browser, { ...PHONE, acceptDownloads: true }, 'transfer-phone', async (page, problems) => {
    await login(page);
    // The list toolbar with a selection: on a phone it scrolls sideways
    // (as for Move and Copy); the export button must come into view.
    await page.click('#list .row[data-uid] input[type="checkbox"]');
    await page.waitForFunction(() => !document.getElementById('export-sel-btn').disabled);
    const box = await page.$eval('#export-sel-btn', (b) => {
      b.scrollIntoView({ block: 'nearest', inline: 'nearest' });
      const r = b.getBoundingClientRect();
      return { left: r.left, right: r.right, w: window.innerWidth };
    });
    assert.ok(box.left >= 0 && box.right <= box.w, JSON.stringify(box));
    await shot(page, 'transfer-list-phone');
    await page.click('#list .row[data-uid] input[type="checkbox"]');
    await importAndExport(page, `E2E Phone ${Date.now()}`, true);
    assert.deepEqual(problems, []);
  });
});

test('the tab icon carries the inbox unread count and follows it', async () => {
  await withPage(browser, DESKTOP, 'transfer-badge', async (page, problems) => {
    await login(page);
    const unread = async () => (await pageApi(page, 'Folders', {})).body.folders.find((f) => f.path === 'INBOX').unseen;
    const icon = () => page.$eval('link[rel="icon"]', (l) => ({ href: l.href, n: l.dataset.unread }));
    let want = await unread();
    await page.waitForFunction((n) => document.querySelector('link[rel="icon"]').dataset.unread === String(n), want);
    const before = await icon();
    if (want > 0) assert.match(before.href, /^data:image\/png;base64,/);
    // One more unread message: a new icon.
    const first = (await pageApi(page, 'MessageList', { folder: 'INBOX', limit: 50 })).body.messages.find((m) => m.seen);
    assert.ok(first, 'a read message in INBOX');
    await pageApi(page, 'MessageSetSeen', { folder: 'INBOX', uids: [first.uid], value: false });
    try {
      await page.click('[data-action="refresh"]');
      want += 1;
      await page.waitForFunction((n) => document.querySelector('link[rel="icon"]').dataset.unread === String(n), want);
      const after = await icon();
      assert.match(after.href, /^data:image\/png;base64,/);
      assert.notEqual(after.href, before.href);
      // The icon itself, to look at (e2e-artifacts/transfer-badge-icon.png).
      await page.evaluate((src) => {
        const i = document.createElement('img');
        i.src = src;
        i.id = 'badge-preview';
        i.style.cssText = 'position:fixed;top:0;left:0;width:128px;height:128px;z-index:9999;background:#fff';
        document.body.appendChild(i);
      }, after.href);
      await page.waitForTimeout(100);
      await (await page.$('#badge-preview')).screenshot({ path: shotPath('transfer-badge-icon') });
      await page.evaluate(() => document.getElementById('badge-preview').remove());
    } finally {
      await pageApi(page, 'MessageSetSeen', { folder: 'INBOX', uids: [first.uid], value: true });
    }
    assert.deepEqual(problems, []);
  });
});
