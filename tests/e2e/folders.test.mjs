// Folder management in the mailbox against the real stack (nginx + petrel +
// Dovecot): the "New folder" dialog with a nested path, the folder context
// menu (right click, the ⋯ button, a long press on a phone), rename to a
// Cyrillic name while the folder is open, drag and drop into it, emptying
// Trash, deleting, server refusals in the toast, and no console/CSP errors.
//
//   PETREL_BASE_URL=http://127.0.0.1:8080 node --test folders.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_URL, DESKTOP, launch, pageApi, PHONE, shot, withPage } from './lib.mjs';

const USER = process.env.PETREL_E2E_USER || 'alice@example.test';
const PASS = process.env.PETREL_E2E_PASS || 'alice-pass-1';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

function nextCall(page, action) {
  return page.waitForResponse((r) => r.url().endsWith('/api/' + action) && r.request().method() === 'POST')
    .then(async (r) => {
      const body = JSON.parse(r.request().postData() || '{}');
      const answer = await r.json().catch(() => ({}));
      await page.waitForTimeout(50);
      return { status: r.status(), body, answer };
    });
}

async function login(page) {
  await page.goto(BASE_URL + '/');
  await page.waitForSelector('#login-form');
  await page.fill('#login-email', USER);
  await page.fill('#login-password', PASS);
  await Promise.all([page.waitForNavigation(), page.click('#login-submit')]);
  await page.waitForSelector('#list .row[data-uid]');
  await page.waitForSelector('#folders li[data-path="INBOX"] .folder-more', { state: 'attached' });
}


const li = (path) => `#folders li[data-path="${path.replace(/"/g, '\\"')}"]`;

async function folderInfo(page, path) {
  const all = (await pageApi(page, 'Folders', {})).body.folders;
  return { all, f: all.find((x) => x.path === path) };
}

test('folders: create nested, rename to Cyrillic, drag a message in, empty Trash, delete', async () => {
  await withPage(browser, DESKTOP, 'folders-desktop', async (page, problems) => {
    await login(page);
    let { all } = await folderInfo(page, 'INBOX');
    // Leftovers of an interrupted earlier run.
    for (const f of all.filter((x) => /^E2E (Parent|Gone|Phone)/.test(x.path) && x.selectable !== false).reverse()) {
      await pageApi(page, 'FolderDelete', { path: f.path });
    }
    ({ all } = await folderInfo(page, 'INBOX'));
    await page.click('[data-action="refresh"]');
    const d = all.find((f) => f.delimiter)?.delimiter || '/';
    const ts = Date.now();
    const parent = 'E2E Parent';
    const child = `${parent}${d}Child ${ts}`;
    const renamed = `${parent}${d}Дочерняя ${ts}`;

    // The + next to FOLDERS opens the dialog, focused on the name.
    await page.click('#folder-new');
    await page.waitForSelector('#folder-dialog:not([hidden])');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'fd-name');
    assert.equal(await page.getAttribute('#fd-form', 'role'), 'dialog');
    assert.equal(await page.getAttribute('#fd-form', 'aria-modal'), 'true');
    assert.match(await page.textContent('#fd-hint'), new RegExp(d.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')));

    // Control characters are refused before anything is sent.
    let creates = 0;
    page.on('request', (r) => { if (r.url().endsWith('/api/FolderCreate')) creates++; });
    await page.fill('#fd-name', 'bad\tname');
    await page.click('#fd-submit');
    await page.waitForSelector('#fd-error:not([hidden])');
    assert.match(await page.textContent('#fd-error'), /control characters/);
    assert.equal(await page.getAttribute('#fd-name', 'aria-invalid'), 'true');
    assert.equal(creates, 0, 'nothing sent for a name with a tab');
    await page.waitForTimeout(200); // let the pop-in animation finish
    await shot(page, 'folders-new-dialog-error');
    // ... and by the server too, whatever a script sends.
    // (Sent from outside the page, so the 400 does not count as a page error.)
    const csrf = await page.evaluate(() => JSON.parse(document.body.dataset.petrel).csrf);
    const hostile = await page.request.post(BASE_URL + '/api/FolderCreate', {
      headers: { 'X-Petrel-Token': csrf }, data: { path: 'x\r\nA1 DELETE INBOX' },
    });
    assert.equal(hostile.status(), 400);
    assert.equal((await hostile.json()).error.code, 'InvalidInput');

    await page.fill('#fd-name', child);
    assert.equal(await page.isHidden('#fd-error'), true, 'typing clears the error');
    await page.waitForTimeout(200); // let the pop-in animation finish
    await shot(page, 'folders-new-dialog');
    let call = nextCall(page, 'FolderCreate');
    const listed = nextCall(page, 'Folders');
    await page.press('#fd-name', 'Enter');
    const made = await call;
    assert.equal(made.status, 200, JSON.stringify(made.answer));
    assert.deepEqual(made.body, { path: child });
    await listed;
    await page.waitForSelector('#folder-dialog', { state: 'hidden' });
    await page.waitForSelector(`${li(child)}.depth-1`);
    const order = await page.$$eval('#folders li', (ls) => ls.map((x) => x.dataset.path));
    assert.ok(order.indexOf(parent) >= 0 && order.indexOf(parent) < order.indexOf(child), 'shown nested under its parent');
    assert.ok(await page.$(`${li(parent)} [data-toggle]`), 'the parent can be collapsed');
    assert.match(await page.textContent('#toasts'), /Folder created/);

    // Special folders: no rename, no delete.
    await page.click(`${li('INBOX')} .folder-link`, { button: 'right' });
    await page.waitForSelector('#folder-menu:not([hidden])');
    assert.equal(await page.isDisabled('#folder-menu [data-folder-action="rename"]'), true);
    assert.equal(await page.isDisabled('#folder-menu [data-folder-action="delete"]'), true);
    assert.equal(await page.isVisible('#folder-menu-note'), true);
    await page.keyboard.press('Escape');
    await page.waitForSelector('#folder-menu', { state: 'hidden' });

    // Drag a message from the inbox onto the new folder.
    const uid = Number(await page.getAttribute('#list .row[data-uid]:nth-child(3)', 'data-uid'));
    call = nextCall(page, 'MessageMove');
    await page.dragAndDrop(`#msg-${uid}`, li(child));
    const mv = await call;
    assert.equal(mv.status, 200);
    assert.deepEqual(mv.body, { folder: 'INBOX', uids: [uid], to: child });
    assert.equal((await pageApi(page, 'MessageList', { folder: child })).body.total, 1);

    // Open it, then rename it from the context menu (right click): the
    // screen follows to the new name.
    call = nextCall(page, 'MessageList');
    await page.click(`${li(child)} .folder-link`);
    await call;
    await page.waitForSelector('#list .row[data-uid]');
    // A move gives the message a new UID in its new folder.
    const movedUid = Number(await page.getAttribute('#list .row[data-uid]', 'data-uid'));
    await page.click(`${li(child)} .folder-link`, { button: 'right' });
    await page.waitForSelector('#folder-menu:not([hidden])');
    assert.equal(await page.getAttribute(`${li(child)} .folder-more`, 'aria-expanded'), 'true');
    assert.equal(await page.evaluate(() => document.activeElement.dataset.folderAction), 'subfolder', 'focus moves into the menu');
    await page.waitForTimeout(200); // let the pop-in animation finish
    await shot(page, 'folders-menu-desktop');
    await page.click('#folder-menu [data-folder-action="rename"]');
    await page.waitForSelector('#folder-dialog:not([hidden])');
    assert.equal(await page.inputValue('#fd-name'), `Child ${ts}`);
    assert.equal(await page.inputValue('#fd-parent'), parent);
    await page.fill('#fd-name', `Дочерняя ${ts}`);
    await page.waitForTimeout(200); // let the pop-in animation finish
    await shot(page, 'folders-rename-dialog');
    call = nextCall(page, 'FolderRename');
    const relist = nextCall(page, 'MessageList');
    await page.click('#fd-submit');
    const rn = await call;
    assert.equal(rn.status, 200, JSON.stringify(rn.answer));
    assert.deepEqual(rn.body, { path: child, newPath: renamed });
    assert.equal((await relist).body.folder, renamed, 'the open folder follows the rename');
    await page.waitForSelector(`${li(renamed)} .folder-link[aria-current="page"]`);
    assert.equal(await page.$(li(child)), null, 'the old name is gone');
    assert.match(decodeURIComponent(page.url()), new RegExp(`#/folder/${parent}/Дочерняя ${ts}`));
    assert.equal(await page.textContent('#list-title'), `Дочерняя ${ts}`);
    await page.waitForSelector(`#msg-${movedUid}`);

    // Delete that message: it goes to Trash. Then empty Trash.
    await page.click(`#msg-${movedUid} .row-subject`);
    call = nextCall(page, 'MessageDelete');
    await page.click('#list-toolbar [data-action="delete"]');
    assert.equal((await call).status, 200);
    const trashPath = all.find((f) => f.special === 'trash').path;
    await page.waitForTimeout(300);
    const trashBefore = (await folderInfo(page, trashPath)).f;
    assert.ok(trashBefore.total >= 1, 'the message is in Trash');
    await page.click(`${li(trashPath)} .folder-link`, { button: 'right' });
    await page.waitForSelector('#folder-menu:not([hidden])');
    assert.equal(await page.isDisabled('#folder-menu [data-folder-action="delete"]'), true, 'Trash cannot be deleted');
    await page.click('#folder-menu [data-folder-action="empty"]');
    await page.waitForSelector('#folder-dialog:not([hidden])');
    assert.match(await page.textContent('#fd-text'), /Trash/);
    assert.match(await page.textContent('#fd-subtext'), new RegExp(`Messages: ${trashBefore.total.toLocaleString('en-GB')}\\b`));
    assert.equal(await page.evaluate(() => document.activeElement.textContent.trim()), 'Cancel', 'a destructive dialog starts on Cancel');
    await page.waitForTimeout(200); // let the pop-in animation finish
    await shot(page, 'folders-empty-trash-dialog');
    // Tab stays inside the dialog.
    for (let i = 0; i < 4; i++) await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => !!document.activeElement.closest('#fd-form')), true);
    call = nextCall(page, 'FolderEmpty');
    await page.click('#fd-submit');
    const em = await call;
    assert.equal(em.status, 200);
    assert.deepEqual(em.body, { path: trashPath });
    assert.equal((await folderInfo(page, trashPath)).f.total, 0, 'Trash is empty');

    // Delete the renamed folder with its ⋯ button (shown on hover).
    await page.hover(`${li(renamed)} .folder-link`);
    assert.equal(await page.isVisible(`${li(renamed)} .folder-more`), true);
    await page.click(`${li(renamed)} .folder-more`);
    await page.waitForSelector('#folder-menu:not([hidden])');
    await page.click('#folder-menu [data-folder-action="delete"]');
    await page.waitForSelector('#folder-dialog:not([hidden])');
    assert.match(await page.textContent('#fd-text'), new RegExp(`“Дочерняя ${ts}”`));
    assert.match(await page.textContent('#fd-subtext'), /Messages in it: 0\b/);
    await page.waitForTimeout(200); // let the pop-in animation finish
    await shot(page, 'folders-delete-dialog');
    call = nextCall(page, 'FolderDelete');
    const home = nextCall(page, 'MessageList');
    await page.click('#fd-submit');
    const del = await call;
    assert.equal(del.status, 200);
    assert.deepEqual(del.body, { path: renamed });
    assert.equal((await home).body.folder, 'INBOX', 'the open folder was deleted: back to the inbox');
    await page.waitForSelector(li(renamed), { state: 'detached' });
    assert.match(page.url(), /#\/folder\/INBOX/);

    // The parent goes too, through the keyboard, if it is a real folder
    // (Dovecot's Maildir++ only lists it, \NoSelect, while it has children).
    const parentNow = (await folderInfo(page, parent)).f;
    if (parentNow && parentNow.selectable !== false) {
    await page.focus(`${li(parent)} .folder-more`);
    await page.keyboard.press('Enter');
    await page.waitForSelector('#folder-menu:not([hidden])');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    assert.equal(await page.evaluate(() => document.activeElement.dataset.folderAction), 'delete');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#folder-dialog:not([hidden])');
    call = nextCall(page, 'FolderDelete');
    await page.click('#fd-submit');
    assert.equal((await call).status, 200);
    await page.waitForSelector(li(parent), { state: 'detached' });
    }

    // A refusal of the mail server shows in the toast, in words.
    const gone = `E2E Gone ${ts}`;
    assert.equal((await pageApi(page, 'FolderCreate', { path: gone })).status, 200);
    call = nextCall(page, 'Folders');
    await page.click('[data-action="refresh"]');
    await call;
    await page.waitForSelector(li(gone));
    assert.equal((await pageApi(page, 'FolderDelete', { path: gone })).status, 200);
    await page.click(`${li(gone)} .folder-link`, { button: 'right' });
    await page.click('#folder-menu [data-folder-action="delete"]');
    call = nextCall(page, 'FolderDelete');
    await page.click('#fd-submit');
    const refused = await call;
    assert.ok(refused.status >= 400, 'the server says no');
    await page.waitForSelector('.toast.error');
    assert.equal(await page.textContent('.toast.error .toast-text').then((s) => s.startsWith(refused.answer.error.message)), true);
    await page.waitForSelector(li(gone), { state: 'detached' });
    await shot(page, 'folders-error-toast');

    // Only the expected refusal may show up as a problem.
    const left = problems.filter((p) => !/FolderDelete|status of 5\d\d/.test(p));
    assert.deepEqual(left, []);
  });
});

test('folders on a phone: the ⋯ button, a long press and the dialog as a sheet', async () => {
  await withPage(browser, PHONE, 'folders-phone', async (page, problems) => {
    await login(page);
    const name = `E2E Phone ${Date.now()}`;
    await page.tap('#drawer-open');
    await page.waitForSelector('#sidebar .folder-link', { state: 'visible' });
    await page.waitForTimeout(300);

    // The ⋯ button is always there on touch screens.
    assert.equal(await page.isVisible(`${li('INBOX')} .folder-more`), true);
    await page.tap(`${li('INBOX')} .folder-more`);
    await page.waitForSelector('#folder-menu:not([hidden])');
    assert.equal(await page.isDisabled('#folder-menu [data-folder-action="rename"]'), true);
    await page.waitForTimeout(200); // let the pop-in animation finish
    await shot(page, 'folders-menu-phone');
    await page.tap(`${li('INBOX')} .folder-more`);
    await page.waitForSelector('#folder-menu', { state: 'hidden' });

    await page.tap('#folder-new');
    await page.waitForSelector('#folder-dialog:not([hidden])');
    await page.fill('#fd-name', name);
    await page.waitForTimeout(200); // let the pop-in animation finish
    await shot(page, 'folders-new-dialog-phone');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
    assert.equal(overflow, false, 'no horizontal scrolling');
    let call = nextCall(page, 'FolderCreate');
    await page.tap('#fd-submit');
    assert.equal((await call).status, 200);
    await page.waitForSelector(li(name));
    assert.equal(await page.isVisible('#sidebar .folder-link'), true, 'the drawer stays open');

    // A long press on the folder opens the same menu, and no navigation.
    const box = await page.$eval(`${li(name)} .folder-link`, (a) => {
      const r = a.getBoundingClientRect();
      return { x: r.left + 40, y: r.top + r.height / 2 };
    });
    const urlBefore = page.url();
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [{ x: box.x, y: box.y }] });
    await page.waitForSelector('#folder-menu:not([hidden])', { timeout: 3000 });
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
    await page.waitForTimeout(300);
    assert.equal(page.url(), urlBefore, 'a long press does not open the folder');
    assert.equal(await page.isVisible('#folder-menu'), true);
    await page.waitForTimeout(200); // let the pop-in animation finish
    await shot(page, 'folders-menu-phone-longpress');
    await page.tap('#folder-menu [data-folder-action="delete"]');
    await page.waitForSelector('#folder-dialog:not([hidden])');
    assert.match(await page.textContent('#fd-text'), new RegExp(name));
    await page.waitForTimeout(250);
    await shot(page, 'folders-delete-dialog-phone');
    call = nextCall(page, 'FolderDelete');
    await page.tap('#fd-submit');
    assert.equal((await call).status, 200);
    await page.waitForSelector(li(name), { state: 'detached' });
    assert.deepEqual(problems, []);
  });
});

test('folder dialog in Russian and in the dark', async () => {
  await withPage(browser, { ...DESKTOP, colorScheme: 'dark', locale: 'ru-RU' }, 'folders-dark-ru', async (page, problems) => {
    await page.goto(BASE_URL + '/');
    await page.evaluate(() => fetch('/api/Lang', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"lang":"ru"}' }));
    await login(page);
    await page.click('#folder-new');
    await page.waitForSelector('#folder-dialog:not([hidden])');
    assert.equal(await page.textContent('#fd-title'), 'Новая папка');
    await page.fill('#fd-name', 'a\u0007b');
    await page.click('#fd-submit');
    await page.waitForSelector('#fd-error:not([hidden])');
    assert.match(await page.textContent('#fd-error'), /управляющие символы/);
    await page.waitForTimeout(200); // let the pop-in animation finish
    await shot(page, 'folders-new-dialog-dark-ru');
    await page.keyboard.press('Escape');
    await page.waitForSelector('#folder-dialog', { state: 'hidden' });
    assert.equal(await page.evaluate(() => document.activeElement.id), 'folder-new', 'focus returns to the + button');
    const trash = (await pageApi(page, 'Folders', {})).body.folders.find((f) => f.special === 'trash');
    await page.click(`${li(trash.path)} .folder-link`, { button: 'right' });
    await page.waitForSelector('#folder-menu:not([hidden])');
    await page.waitForTimeout(200); // let the pop-in animation finish
    await shot(page, 'folders-menu-dark-ru');
    assert.deepEqual(problems, []);
  });
});

test('mark a whole folder as read: the list toolbar and the folder menu', async () => {
  await withPage(browser, DESKTOP, 'folders-mark-read', async (page, problems) => {
    await login(page);
    const name = `E2E Unread ${Date.now()}`;
    assert.equal((await pageApi(page, 'FolderCreate', { path: name })).status, 200);
    const inbox = (await pageApi(page, 'MessageList', { folder: 'INBOX', limit: 3 })).body.messages;
    const uids = inbox.map((m) => m.uid);
    assert.equal((await pageApi(page, 'MessageMove', { folder: 'INBOX', uids, to: name })).status, 200);
    try {
      let moved = (await pageApi(page, 'MessageList', { folder: name })).body.messages.map((m) => m.uid);
      await pageApi(page, 'MessageSetSeen', { folder: name, uids: moved, value: false });
      await page.click('[data-action="refresh"]');
      await page.waitForSelector(`${li(name)} .pill`);
      assert.equal((await page.textContent(`${li(name)} .pill`)).trim(), '3');

      // From the folder menu, without opening the folder.
      await page.click(`${li(name)} .folder-link`, { button: 'right' });
      await page.waitForSelector('#folder-menu:not([hidden])');
      assert.equal(await page.isDisabled('#folder-menu [data-folder-action="read"]'), false);
      await shot(page, 'folders-mark-read-menu');
      let call = nextCall(page, 'FolderMarkRead');
      await page.click('#folder-menu [data-folder-action="read"]');
      let done = await call;
      assert.equal(done.status, 200);
      assert.deepEqual(done.body, { folder: name });
      await page.waitForSelector(`${li(name)} .pill`, { state: 'detached' });
      assert.match(await page.textContent('#toasts'), /marked as read/);
      assert.equal((await folderInfo(page, name)).f.unseen, 0);

      // From the list toolbar, with the folder open: rows turn read at once.
      moved = (await pageApi(page, 'MessageList', { folder: name })).body.messages.map((m) => m.uid);
      await pageApi(page, 'MessageSetSeen', { folder: name, uids: moved, value: false });
      await page.click(`${li(name)} .folder-link`);
      await page.waitForSelector('#list .row.unread');
      await page.waitForFunction(() => !document.getElementById('all-read-btn').disabled);
      call = nextCall(page, 'FolderMarkRead');
      await page.click('#all-read-btn');
      done = await call;
      assert.equal(done.status, 200);
      assert.equal(await page.$$eval('#list .row.unread', (r) => r.length), 0);
      assert.equal(await page.isDisabled('#all-read-btn'), true, 'nothing left to mark');
      await shot(page, 'folders-mark-read-done');
    } finally {
      const back = (await pageApi(page, 'MessageList', { folder: name })).body.messages.map((m) => m.uid);
      if (back.length) await pageApi(page, 'MessageMove', { folder: name, uids: back, to: 'INBOX' });
      await page.click(`${li('INBOX')} .folder-link`);
      await pageApi(page, 'FolderDelete', { path: name });
    }
    assert.deepEqual(problems, []);
  });
});

test('storage quota under the folders, with the warning colour past 90 %', async () => {
  await withPage(browser, DESKTOP, 'quota', async (page, problems) => {
    await login(page);
    // The real number, from Dovecot's quota plugin (1 GiB in the test stack).
    await page.waitForSelector('#quota:not([hidden])');
    assert.match(await page.textContent('#quota-text'), /of 1 GB$/);
    const now = Number(await page.getAttribute('#quota-bar', 'aria-valuenow'));
    assert.ok(now >= 0 && now < 90, `used ${now} %`);
    assert.equal(await page.$eval('#quota', (e) => e.classList.contains('is-full')), false);
    await page.$eval('#quota', (e) => e.scrollIntoView());
    await shot(page, 'quota');
    // Nearly full: only the colour and the words are the browser's job, so
    // the answer is set here (Petrel's side is tests/integration/web).
    await page.route('**/api/Quota', (r) => r.fulfill({
      status: 200, contentType: 'application/json', body: JSON.stringify({ used: 996148, limit: 1048576 }),
    }));
    await page.click('[data-action="refresh"]');
    await page.waitForSelector('#quota.is-full');
    assert.equal(await page.getAttribute('#quota-bar', 'aria-valuenow'), '95');
    assert.match(await page.getAttribute('#quota', 'title'), /almost full \(95 %\)/);
    await shot(page, 'quota-full');
    // No quota on the server: nothing shown.
    await page.route('**/api/Quota', (r) => r.fulfill({ status: 200, contentType: 'application/json', body: 'null' }));
    await page.click('[data-action="refresh"]');
    await page.waitForSelector('#quota', { state: 'hidden' });
    assert.deepEqual(problems, []);
  });
});

test('copy a message to another folder: the original stays', async () => {
  await withPage(browser, DESKTOP, 'folders-copy', async (page, problems) => {
    await login(page);
    const name = `E2E Copy ${Date.now()}`;
    assert.equal((await pageApi(page, 'FolderCreate', { path: name })).status, 200);
    try {
      await page.click('[data-action="refresh"]');
      await page.waitForSelector(li(name));
      const first = await page.getAttribute('#list .row[data-uid]', 'data-uid');
      const rows = await page.$$eval('#list .row[data-uid]', (r) => r.length);
      await page.click(`#list .row[data-uid="${first}"] input[type="checkbox"]`);
      await page.click('#copy-btn');
      await page.waitForSelector('#copy-menu:not([hidden])');
      assert.equal(await page.isDisabled('#copy-menu [data-move-to="INBOX"]'), true, 'not into itself');
      await page.waitForTimeout(200); // let the pop-in animation finish
      await shot(page, 'folders-copy-menu');
      const call = nextCall(page, 'MessageCopy');
      await page.click(`#copy-menu [data-move-to="${name}"]`);
      const done = await call;
      assert.equal(done.status, 200);
      assert.deepEqual(done.answer, { copied: 1 });
      assert.match(await page.textContent('#toasts'), /Copied to/);
      assert.equal(await page.$$eval('#list .row[data-uid]', (r) => r.length), rows, 'the original stays');
      assert.equal((await folderInfo(page, name)).f.total, 1);
    } finally {
      await pageApi(page, 'FolderDelete', { path: name });
    }
    assert.deepEqual(problems, []);
  });
});
