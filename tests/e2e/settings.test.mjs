// Settings → General and Identities against the real stack: the language
// switches the UI and follows the account to a fresh browser; messages per
// page and the time zone change what the list and the message show; the
// dark theme applies at once and after a reload; an identity made in
// Settings is offered in the compose From picker. Screenshots of both
// sections at 1440×900 and 390×844, light and dark.
// Runs as carol and puts her settings back at the end (shared account).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BASE_URL, DESKTOP, launch, login, pageApi, PHONE, shot, withPage } from './lib.mjs';

const STACK = process.env.PETREL_MAILSTACK_DIR;
const HARNESS = path.join(process.env.PETREL_SOURCE_DIR || '.', 'tests', 'harness');
const TOKEN = `set${Date.now().toString(36)}`;
const FOLDER = `Settings ${TOKEN}`;
const FIELDS = ['lang', 'timeZone', 'messagesPerPage', 'theme', 'showImages', 'threads', 'composeHtml', 'readAfterSeconds'];
let browser;
let carol;

function stack() {
  return JSON.parse(fs.readFileSync(path.join(STACK, 'mailstack.json'), 'utf8'));
}

before(async () => {
  browser = await launch();
  carol = stack().users.find((u) => u.email === 'carol@example.org');
  // Every fixture (more than 10 messages) into a folder of this run.
  execFileSync('python3', [path.join(HARNESS, 'mailstack.py'), 'fill-maildir', '--dir', STACK,
    '--user', carol.email, '--folder', FOLDER, path.join(HARNESS, 'fixtures')], { stdio: 'ignore' });
});
after(async () => {
  // Back to the defaults, and the folder gone.
  await withPage(browser, DESKTOP, 'settings-cleanup', async (page) => {
    await login(page, carol);
    await pageApi(page, 'SettingsSave', Object.fromEntries(FIELDS.map((k) => [k, null])));
    await pageApi(page, 'FolderDelete', { path: FOLDER });
    const ids = (await pageApi(page, 'Identities', {})).body.identities || [];
    for (const idn of ids) if (idn.email === `${TOKEN}@example.org`) await pageApi(page, 'IdentityDelete', { id: idn.id });
  }).catch(() => {});
  await browser?.close();
});


async function openGeneral(page) {
  await page.click('#user-btn');
  await page.click('#menu-settings');
  await page.waitForSelector('.set-section-general #set-theme');
}

// Wait for the SettingsSave a click causes; return its answer.
async function saving(page, action) {
  const resp = page.waitForResponse((r) => r.url().endsWith('/api/SettingsSave'));
  await action();
  const r = await resp;
  assert.equal(r.status(), 200, await r.text());
  return r.json();
}

function rowCount(page) {
  return page.locator('#list .row[data-uid]:not([hidden])').count();
}

test('language: the UI switches to Russian and stays so after signing in again elsewhere', async () => {
  await withPage(browser, DESKTOP, 'settings-lang', async (page, problems) => {
    await login(page, carol);
    await pageApi(page, 'SettingsSave', { lang: 'en' });
    await page.reload();
    await page.waitForSelector('#list');
    // General is always there, first, reached from the user menu.
    await openGeneral(page);
    assert.match(page.url(), /#\/settings\/general$/);
    assert.equal(await page.textContent('#settings-title'), 'Settings');
    await Promise.all([page.waitForNavigation(), page.selectOption('#set-lang', 'ru')]);
    await page.waitForSelector('.set-section-general #set-theme');
    assert.equal(await page.getAttribute('html', 'lang'), 'ru');
    assert.equal(await page.textContent('#settings-title'), 'Настройки');
    assert.equal(await page.textContent('.set-section-general .set-page-title'), 'Общие');
    assert.equal(await page.inputValue('#set-lang'), 'ru');
    await page.click('#user-btn');
    await page.click('#logout');
    await page.waitForSelector('#login-email');
    assert.deepEqual(problems, []);
  });
  // A new browser: no language cookie; the account brings Russian back.
  await withPage(browser, DESKTOP, 'settings-lang-again', async (page) => {
    await page.context().addCookies([{ name: 'petrel_lang', value: 'en', url: BASE_URL }]);
    await login(page, carol);
    assert.equal(await page.getAttribute('html', 'lang'), 'ru');
    assert.equal(await page.textContent('#nav-settings .folder-name'), 'Настройки');
    await pageApi(page, 'SettingsSave', { lang: 'en' });
  });
});

test('messages per page: the list obeys at once and after a reload', async () => {
  await withPage(browser, DESKTOP, 'settings-per-page', async (page, problems) => {
    await login(page, carol);
    await pageApi(page, 'SettingsSave', { messagesPerPage: 25 });
    await page.goto(`${BASE_URL}/#/folder/${encodeURIComponent(FOLDER)}`);
    await page.reload();
    await page.waitForSelector('#list .row[data-uid]');
    const all = await rowCount(page);
    assert.ok(all > 10, `the folder holds ${all} messages`);
    await openGeneral(page);
    const r = await saving(page, () => page.selectOption('#set-per-page', '10'));
    assert.equal(r.settings.messagesPerPage, 10);
    await page.click('.set-back');
    await page.waitForFunction(() => document.querySelectorAll('#list .row[data-uid]:not([hidden])').length === 10);
    await page.reload();
    await page.waitForSelector('#list .row[data-uid]');
    assert.equal(await rowCount(page), 10);
    assert.equal(await page.evaluate(() => JSON.parse(document.body.dataset.petrel).messagesPerPage), 10);
    await pageApi(page, 'SettingsSave', { messagesPerPage: null });
    assert.deepEqual(problems, []);
  });
});

test('time zone: the shown time of a message follows the chosen zone', async () => {
  // 01-plain-utf8.eml: Date: Mon, 06 Oct 2025 09:15:00 +0200 = 07:15 UTC.
  await withPage(browser, DESKTOP, 'settings-zone', async (page, problems) => {
    await login(page, carol);
    await pageApi(page, 'SettingsSave', { timeZone: 'Asia/Tokyo', lang: 'en' });
    await page.goto(`${BASE_URL}/#/folder/${encodeURIComponent(FOLDER)}`);
    await page.reload();
    await page.locator('#list .row[data-uid]', { hasText: 'Grüße aus München' }).click();
    await page.waitForFunction(() => /\d\d:\d\d/.test(document.getElementById('msg-date').textContent));
    assert.match(await page.textContent('#msg-date'), /16:15/);
    const back = page.url();
    await openGeneral(page);
    assert.equal(await page.inputValue('#set-zone'), 'Asia/Tokyo');
    await saving(page, () => page.selectOption('#set-zone', 'America/New_York'));
    assert.match(await page.textContent('#set-zone-now'), /\d\d:\d\d/);
    await page.goto(back);
    await page.waitForFunction(() => /03:15/.test(document.getElementById('msg-date').textContent));
    assert.match(await page.getAttribute('#msg-date', 'title'), /03:15/);
    // An invitation's UTC times too (19-calendar-invite.eml: 14:00–15:00Z).
    await page.locator('#list .row[data-uid]', { hasText: 'Design review' }).click();
    await page.waitForSelector('#msg-calendar:not([hidden])');
    assert.match(await page.textContent('#msg-calendar'), /10:00 – 11:00/);
    // The device's zone is the default choice.
    await openGeneral(page);
    const browserZone = await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone);
    await saving(page, () => page.selectOption('#set-zone', ''));
    assert.match(await page.textContent('#set-zone option[value=""]'), new RegExp(browserZone.replace('/', '\\/')));
    assert.deepEqual(problems, []);
  });
});

test('mark as read: after the chosen delay, not on open', async () => {
  await withPage(browser, DESKTOP, 'settings-read-after', async (page, problems) => {
    await login(page, carol);
    await page.goto(`${BASE_URL}/#/settings/general`);
    await page.waitForSelector('.set-section-general #set-read-after');
    await saving(page, () => page.selectOption('#set-read-after', '3'));
    await page.goto(`${BASE_URL}/#/folder/${encodeURIComponent(FOLDER)}`);
    const row = page.locator('#list .row[data-uid].unread', { hasText: 'Отчёт за квартал' });
    await row.waitFor();
    const uid = await row.getAttribute('data-uid');
    const opened = Date.now();
    await row.click();
    await page.waitForFunction(() => /\d\d:\d\d/.test(document.getElementById('msg-date').textContent));
    const mark = page.waitForResponse((r) => r.url().endsWith('/api/MessageSetSeen'));
    assert.equal(await page.getAttribute(`#list .row[data-uid="${uid}"]`, 'class').then((c) => c.includes('unread')), true,
      'still unread right after opening');
    await mark;
    assert.ok(Date.now() - opened >= 2900, `marked after ${Date.now() - opened} ms`);
    await page.waitForSelector(`#list .row[data-uid="${uid}"]:not(.unread)`);
    await pageApi(page, 'SettingsSave', { readAfterSeconds: null });
    assert.deepEqual(problems, []);
  });
});

test('theme: dark applies at once and on the next visit; screenshots', async () => {
  await withPage(browser, DESKTOP, 'settings-theme', async (page, problems) => {
    await login(page, carol);
    await pageApi(page, 'SettingsSave', { theme: 'light' });
    await page.reload();
    await page.waitForSelector('#list');
    const light = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    await openGeneral(page);
    await shot(page, 'settings-general-desktop-light');
    await saving(page, () => page.click('label.seg:has(#set-theme-dark)'));
    assert.equal(await page.getAttribute('html', 'data-theme'), 'dark');
    const dark = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert.notEqual(dark, light);
    assert.equal(dark, 'rgb(15, 21, 28)');
    await shot(page, 'settings-general-desktop-dark');
    await page.reload();
    await page.waitForSelector('.set-section-general #set-theme');
    assert.equal(await page.getAttribute('html', 'data-theme'), 'dark');
    assert.equal(await page.isChecked('#set-theme-dark'), true);
    await page.click('.set-nav-link[data-section="identities"]');
    await page.waitForSelector('#identities-form .ids-item');
    await shot(page, 'settings-identities-desktop-dark');
    await pageApi(page, 'SettingsSave', { theme: null });
    assert.deepEqual(problems, []);
  });
  for (const theme of ['light', 'dark']) {
    await withPage(browser, PHONE, `settings-phone-${theme}`, async (page, problems) => {
      await login(page, carol);
      await pageApi(page, 'SettingsSave', { theme });
      await page.goto(`${BASE_URL}/#/settings/general`);
      await page.reload();
      await page.waitForSelector('.set-section-general #set-theme');
      await shot(page, `settings-general-phone-${theme}`);
      await page.goto(`${BASE_URL}/#/settings/identities`);
      await page.waitForSelector('#identities-form .ids-item');
      await shot(page, `settings-identities-phone-${theme}`);
      assert.deepEqual(problems, []);
    });
  }
});

test('identities: one made in Settings is in the compose From picker', async () => {
  await withPage(browser, DESKTOP, 'settings-identity', async (page, problems) => {
    await login(page, carol);
    await pageApi(page, 'SettingsSave', { theme: 'light' });
    await page.goto(`${BASE_URL}/#/settings/identities`);
    await page.reload();
    await page.waitForSelector('#identities-form .ids-item');
    await page.click('#identities-form .ids-add');
    await page.fill('#set-ids-name', `Carol ${TOKEN}`);
    await page.fill('#set-ids-email', `${TOKEN}@example.org`);
    await page.fill('#set-ids-signature', `-- \nCarol (${TOKEN})`);
    const saved = page.waitForResponse((r) => r.url().endsWith('/api/IdentitySave'));
    await page.click('#identities-form .dialog-foot .btn-primary');
    assert.equal((await saved).status(), 200);
    const item = page.locator('#identities-form .ids-item', { hasText: `${TOKEN}@example.org` });
    await item.waitFor();
    assert.equal(await item.getAttribute('aria-selected'), 'true');
    await shot(page, 'settings-identities-desktop-light');
    // A bad address is refused next to the form, nothing is sent.
    await page.fill('#set-ids-email', 'not an address');
    await page.click('#identities-form .dialog-foot .btn-primary');
    await page.waitForSelector('#identities-form .alert-error:not([hidden])');

    await page.click('.set-back');
    await page.waitForSelector('#list');
    await page.click('#compose');
    await page.waitForSelector('#compose-from option', { state: 'attached' });
    const options = await page.locator('#compose-from option').allTextContents();
    assert.ok(options.some((o) => o.includes(`${TOKEN}@example.org`)), options.join(' | '));
    await page.selectOption('#compose-from', { label: options.find((o) => o.includes(`${TOKEN}@example.org`)) });
    assert.match(await page.inputValue('.compose-text'), new RegExp(`Carol \\(${TOKEN}\\)`));

    assert.deepEqual(problems, []);
  });
});
