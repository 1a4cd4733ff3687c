// Snooze (issue 17) in the browser against the real stack: a message
// snoozed from the list with a preset leaves INBOX, the Snoozed view shows
// its wake time, "Unsnooze now" brings it back unread at the top; the
// message view's snooze menu with the date/time picker; `b` opens the
// menu. Screenshots at desktop and phone width, light and dark.
//
//   PETREL_BASE_URL=http://127.0.0.1:8080 node --test snooze.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_URL, DESKTOP, launch, pageApi, PHONE, shot, withPage } from './lib.mjs';

const USER = 'bob@example.test';
const PASS = 'bob-pass-2';
const RUN = String(Date.now());

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const li = (path) => `#folders li[data-path="${path}"]`;

async function login(page) {
  await page.goto(BASE_URL + '/');
  await page.waitForSelector('#login-form');
  await page.fill('#login-email', USER);
  await page.fill('#login-password', PASS);
  await Promise.all([page.waitForNavigation(), page.click('#login-submit')]);
  await page.waitForSelector('#list');
}

// Put messages in INBOX (FolderImport), dated now so they are on top.
async function importMessages(page, subjects) {
  const r = await page.evaluate(async (subjects) => {
    const boot = JSON.parse(document.body.dataset.petrel);
    const form = new FormData();
    form.append('folder', 'INBOX');
    subjects.forEach((s, i) => {
      const raw = `From: Snoozer <snoozer@example.test>\r\nTo: bob@example.test\r\nSubject: ${s}\r\n` +
        `Date: ${new Date(Date.now() - i * 1000).toUTCString()}\r\nMessage-ID: <${s.replace(/\W/g, '')}@example.test>\r\n\r\nWake me later.\r\n`;
      form.append('file', new File([raw], `m${i}.eml`, { type: 'message/rfc822' }));
    });
    const resp = await fetch('/api/FolderImport', {
      method: 'POST', credentials: 'same-origin', headers: { 'X-Petrel-Token': boot.csrf }, body: form,
    });
    return resp.json();
  }, subjects);
  assert.equal(r.imported, subjects.length, JSON.stringify(r));
  // FolderImport stores them read; these should look new.
  const list = (await pageApi(page, 'MessageList', { folder: 'INBOX', limit: 20 })).body.messages;
  const uids = subjects.map((s) => list.find((m) => m.subject === s).uid);
  await pageApi(page, 'MessageSetSeen', { folder: 'INBOX', uids, value: false });
  return uids;
}

const rowWith = (subject) => `#list .row[data-uid]:has(.row-subject:text-is("${subject}"))`;

async function openFolder(page, path, phone) {
  if (phone) {
    await page.tap('#drawer-open');
    await page.waitForSelector(`${li(path)} .folder-link`, { state: 'visible' });
    await page.tap(`${li(path)} .folder-link`);
  } else await page.click(`${li(path)} .folder-link`);
  await page.waitForFunction((p) => decodeURIComponent(location.hash).includes(p), path);
  await page.waitForSelector('#list .row[data-uid]');
}

test('snooze from the list with a preset, see it in Snoozed, unsnooze (desktop, light)', async () => {
  await withPage(browser, DESKTOP, 'snooze-desktop', async (page, problems) => {
    await login(page);
    const a = `Snooze list ${RUN}`;
    await importMessages(page, [a]);
    await page.click('[data-action="refresh"]');
    await page.waitForSelector(rowWith(a));

    // Select it, open the menu (the button, then `b` too), pick tomorrow.
    await page.click(`${rowWith(a)} input[type="checkbox"]`);
    await page.waitForFunction(() => !document.getElementById('snooze-btn').disabled);
    await page.click('#snooze-btn');
    await page.waitForSelector('#snooze-menu:not([hidden]) [data-preset="tomorrow"]');
    await page.waitForTimeout(200);
    await shot(page, 'snooze-menu');
    await page.keyboard.press('Escape');
    await page.waitForSelector('#snooze-menu', { state: 'hidden' });
    await page.locator('#list').focus();
    await page.keyboard.press('b');
    await page.waitForSelector('#snooze-menu:not([hidden])');
    const until = Number(await page.getAttribute('#snooze-menu [data-preset="tomorrow"]', 'data-until'));
    assert.ok(until > Date.now() / 1000 + 3600, String(until));
    const done = page.waitForResponse((r) => r.url().endsWith('/api/MessageSnooze'));
    await page.click('#snooze-menu [data-preset="tomorrow"]');
    const res = await (await done).json();
    assert.equal(res.snoozed, 1, JSON.stringify(res));
    assert.equal(res.folder, 'Snoozed');
    await page.waitForSelector(rowWith(a), { state: 'detached' });
    await page.waitForFunction(() => /Snoozed until/.test(document.getElementById('toasts').textContent));
    const inbox = (await pageApi(page, 'MessageList', { folder: 'INBOX', limit: 50 })).body.messages;
    assert.ok(!inbox.some((m) => m.subject === a), 'still in INBOX');

    // The Snoozed view: the row shows its wake time (the clock icon).
    await page.waitForSelector(`${li('Snoozed')} .folder-link`);
    await openFolder(page, 'Snoozed');
    await page.waitForSelector(`${rowWith(a)} .row-date.row-wake`);
    const wake = await page.getAttribute(`${rowWith(a)} .row-date.row-wake`, 'datetime');
    assert.equal(wake, new Date(until * 1000).toISOString());
    assert.match(await page.getAttribute(`${rowWith(a)} .row-date`, 'title'), /^Comes back /);
    await shot(page, 'snooze-view');

    // Unsnooze now: back in INBOX, unread, first.
    await page.click(`${rowWith(a)} input[type="checkbox"]`);
    await page.click('#snooze-btn');
    await page.waitForSelector('#snooze-menu:not([hidden]) [data-unsnooze]');
    await shot(page, 'snooze-unsnooze-menu');
    const back = page.waitForResponse((r) => r.url().endsWith('/api/MessageUnsnooze'));
    await page.click('#snooze-menu [data-unsnooze]');
    assert.equal((await (await back).json()).unsnoozed, 1);
    await page.waitForSelector(rowWith(a), { state: 'detached' });
    const first = (await pageApi(page, 'MessageList', { folder: 'INBOX', limit: 1 })).body.messages[0];
    assert.equal(first.subject, a);
    assert.equal(first.seen, false);
    await pageApi(page, 'MessageDelete', { folder: 'INBOX', uids: [first.uid] });
    assert.deepEqual(problems, []);
  });
});

test('snooze the open message with the date/time picker (phone and dark)', async () => {
  for (const [opts, tag] of [[{ ...PHONE, colorScheme: 'dark' }, 'phone-dark'], [PHONE, 'phone-light'],
    [{ ...DESKTOP, colorScheme: 'dark' }, 'desktop-dark']]) {
    await withPage(browser, opts, 'snooze-' + tag, async (page, problems) => {
      const phone = tag.startsWith('phone');
      // desktop-dark: the settings' time zone, not the browser's (UTC).
      const settingsZone = tag === 'desktop-dark' ? 'Asia/Tokyo' : null;
      await login(page);
      if (settingsZone) {
        assert.equal((await pageApi(page, 'SettingsSave', { timeZone: settingsZone })).status, 200);
        await page.reload();
        await page.waitForSelector('#list');
      }
      const b = `Snooze picker ${tag} ${RUN}`;
      await importMessages(page, [b]);
      await page.click('[data-action="refresh"]');
      await page.waitForSelector(rowWith(b));
      // The list toolbar's menu for a selection.
      await page.click(`${rowWith(b)} input[type="checkbox"]`);
      await page.waitForFunction(() => !document.getElementById('snooze-btn').disabled);
      await page.click('#snooze-btn');
      await page.waitForSelector('#snooze-menu:not([hidden]) [data-preset="week"]');
      await page.waitForTimeout(200);
      const menuBox = await page.$eval('#snooze-menu', (m) => {
        const r = m.getBoundingClientRect();
        return { left: r.left, right: r.right, top: r.top, bottom: r.bottom, w: window.innerWidth };
      });
      assert.ok(menuBox.left >= 0 && menuBox.right <= menuBox.w, JSON.stringify(menuBox));
      await shot(page, `snooze-list-menu-${tag}`);
      await page.keyboard.press('Escape');
      await page.click(`${rowWith(b)} input[type="checkbox"]`);
      await page.click(`${rowWith(b)} .row-subject`);
      await page.waitForSelector('#msg-snooze-btn', { state: 'visible' });
      await page.click('#msg-snooze-btn');
      await page.waitForSelector('#msg-snooze-menu:not([hidden]) [data-pick]');
      await page.waitForTimeout(200);
      await shot(page, `snooze-msg-menu-${tag}`);
      await page.click('#msg-snooze-menu [data-pick]');
      await page.waitForSelector('#snooze-dialog:not([hidden])');
      assert.match(await page.textContent('#snooze-dialog .snooze-zone'), settingsZone ? /Time zone: Asia\/Tokyo/ : /Time zone: /);
      // A past time is refused in the dialog.
      await page.fill('#snooze-at', '2020-01-01T08:00');
      await page.click('#snooze-dialog button[type="submit"]');
      await page.waitForSelector('#snooze-error:not([hidden])');
      const when = new Date(Date.now() + 3 * 86400000);
      const local = `${when.getFullYear()}-${String(when.getMonth() + 1).padStart(2, '0')}-${String(when.getDate()).padStart(2, '0')}T09:30`;
      await page.fill('#snooze-at', local);
      await shot(page, `snooze-picker-${tag}`);
      const done = page.waitForResponse((r) => r.url().endsWith('/api/MessageSnooze'));
      await page.click('#snooze-dialog button[type="submit"]');
      const req = (await done).request().postDataJSON();
      assert.equal((await (await done).json()).snoozed, 1);
      // 09:30 in the user's zone: the settings' one, else the browser's.
      const zone = settingsZone || await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone);
      const shown = new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
        .format(new Date(req.until * 1000));
      assert.equal(shown, '09:30');
      await page.waitForSelector(rowWith(b), { state: 'detached' });
      await openFolder(page, 'Snoozed', phone);
      await page.waitForSelector(`${rowWith(b)} .row-date.row-wake`);
      await shot(page, `snooze-view-${tag}`);
      const snoozed = (await pageApi(page, 'Snoozed', {})).body;
      const row = snoozed.snoozes.find((s) => s.until === req.until);
      assert.ok(row, JSON.stringify(snoozed));
      assert.equal((await pageApi(page, 'MessageUnsnooze', { uids: [row.uid] })).status, 200);
      const inbox = (await pageApi(page, 'MessageList', { folder: 'INBOX', limit: 5 })).body.messages;
      const m = inbox.find((x) => x.subject === b);
      assert.ok(m);
      await pageApi(page, 'MessageDelete', { folder: 'INBOX', uids: [m.uid] });
      if (settingsZone) await pageApi(page, 'SettingsSave', { timeZone: null });
      assert.deepEqual(problems, []);
    });
  }
});
