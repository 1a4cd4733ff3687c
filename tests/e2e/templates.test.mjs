// The templates plugin in Chromium against the real stack: the admin
// enables it on the Plugins page; alice saves a template in Settings →
// Templates (a bad one first: its error shows), renames it, opens compose,
// writes a line, inserts the template at the cursor from the Templates
// menu with the keyboard only, and sends; bob's copy has both. A name
// with markup stays text everywhere. Screenshots of the settings section
// and the compose menu at 1440×900 and 390×844, light and dark. The
// plugin is disabled and alice's templates deleted at the end.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { BASE_URL, DESKTOP, PHONE, launch, pageApi, shot, withPage } from './lib.mjs';

const WEB = process.env.PETREL_WEBSTACK_DIR;
const ALICE = { email: 'alice@example.test', password: 'alice-pass-1' };
const BOB = { email: 'bob@example.test', password: 'bob-pass-2' };
const RUN = Date.now().toString(36);
const NAME = 'Thanks <b>bold</b>';
const BODY = 'Thank you for your message.\nI will answer in a day or two.\n\n-- Alice';
let browser;

function credentials() {
  const text = fs.readFileSync(path.join(WEB, 'admin.credentials'), 'utf8');
  const m = text.match(/^Username: (\S+)\nPassword: (\S+)\nSecret key: (\S+)\n$/);
  assert.ok(m, 'credentials file has the three lines');
  return { user: m[1], password: m[2], key: m[3] };
}

async function admin(page, on) {
  const c = credentials();
  await page.goto(`${BASE_URL}/?${c.key}`);
  await page.fill('#admin-login', c.user);
  await page.fill('#admin-password', c.password);
  await Promise.all([page.waitForURL(/\/admin\/$/), page.click('#admin-login-submit')]);
  await page.click('.admin-nav a[href="/admin/plugins"]');
  await page.waitForSelector('#plugin-templates');
  const id = `#plugin-templates-${on ? 'enable' : 'disable'}`;
  if (await page.$(id)) await Promise.all([page.waitForURL(/saved=1/), page.click(id)]);
  if (on) await page.waitForSelector('#plugin-templates .pill-ok');
}

async function login(page, user) {
  await page.goto(BASE_URL + '/');
  await page.fill('#login-email', user.email);
  await page.fill('#login-password', user.password);
  await Promise.all([page.waitForNavigation(), page.click('#login-submit')]);
  await page.waitForSelector('#list');
  await page.waitForFunction(() => window.Petrel && window.PetrelCompose && window.Petrel.pluginCompose);
}

async function clearTemplates(page) {
  const r = await pageApi(page, 'plugin/templates/List', {});
  assert.equal(r.status, 200, JSON.stringify(r.body));
  for (const t of r.body.result.items || []) {
    const d = await pageApi(page, 'plugin/templates/Delete', { id: t.id });
    assert.equal(d.status, 200, JSON.stringify(d.body));
  }
}

async function openSettings(page) {
  await page.goto(`${BASE_URL}/#/settings/plugin-templates`);
  await page.waitForSelector('#plugin-templates-list');
}

async function openCompose(page) {
  // The phone layout has a floating button instead of the sidebar's.
  await page.click(await page.isVisible('#compose') ? '#compose' : '#compose-fab');
  await page.waitForSelector('.compose #compose-to');
  await page.waitForSelector('.compose .compose-plugin-btn');
}

before(async () => {
  assert.ok(WEB, 'PETREL_WEBSTACK_DIR must name the running web stack');
  browser = await launch();
  await withPage(browser, DESKTOP, 'templates-enable', async (page) => { await admin(page, true); });
});
after(async () => {
  await withPage(browser, DESKTOP, 'templates-cleanup', async (page) => {
    await login(page, ALICE);
    await clearTemplates(page);
  }).catch(() => {});
  await withPage(browser, DESKTOP, 'templates-disable', async (page) => { await admin(page, false); }).catch(() => {});
  await browser?.close();
});

test('alice keeps a template in Settings and sends it from compose', async () => {
  const subject = `Template e2e ${RUN}`;
  await withPage(browser, DESKTOP, 'templates-flow', async (page, problems) => {
    await login(page, ALICE);
    await clearTemplates(page);
    await openSettings(page);
    assert.equal(await page.textContent('.set-page-title'), 'Templates');
    assert.match(await page.textContent('#plugin-templates-list'), /Nothing saved yet/);

    // A template without a name: the plugin's message, nothing stored.
    await page.click('#plugin-templates-new');
    await page.fill('#plugin-templates-body', BODY);
    await page.click('#plugin-templates-save');
    await page.waitForSelector('#plugin-templates-result.alert-error');
    assert.equal(await page.textContent('#plugin-templates-result'), 'Give the template a name.');

    await page.fill('#plugin-templates-name', 'Draft name');
    await page.click('#plugin-templates-save');
    await page.waitForSelector('#plugin-templates-result.alert-ok');
    await page.waitForSelector('#plugin-templates-list .plugin-item.is-current');
    // Renamed: the same template, a new name (markup in it stays text).
    await page.fill('#plugin-templates-name', NAME);
    await page.click('#plugin-templates-save');
    await page.waitForFunction((n) => document.querySelector('#plugin-templates-list .is-current')?.textContent === n, NAME);
    assert.equal(await page.locator('#plugin-templates-list li').count(), 1);
    assert.equal(await page.locator('#plugin-templates-list b').count(), 0);
    await page.waitForSelector('#plugin-templates-delete:not([hidden])');

    // Compose: a first line, then the template at the cursor, all by keyboard.
    await openCompose(page);
    await page.fill('#compose-to', BOB.email);
    await page.press('#compose-to', 'Enter');
    await page.fill('#compose-subject', subject);
    await page.fill('.compose-text', 'Hi Bob,\n\n');
    await page.focus('.compose-plugin-btn');
    await page.keyboard.press('Enter');
    await page.waitForSelector('.compose-plugin-menu .menu-item[role="menuitem"]:focus');
    const items = await page.locator('.compose-plugin-menu [role="menuitem"]').allTextContents();
    assert.deepEqual(items, [NAME, 'Manage…']);
    assert.equal(await page.getAttribute('.compose-plugin-btn', 'aria-expanded'), 'true');
    // Escape closes and gives the focus back; the menu opens again.
    await page.keyboard.press('Escape');
    await page.waitForSelector('.compose-plugin-menu', { state: 'hidden' });
    assert.equal(await page.evaluate(() => document.activeElement.classList.contains('compose-plugin-btn')), true);
    await page.keyboard.press('Enter');
    await page.waitForSelector('.compose-plugin-menu .menu-item:focus');
    await page.keyboard.press('Enter');
    await page.waitForSelector('.compose-plugin-menu', { state: 'hidden' });
    assert.equal(await page.inputValue('.compose-text'), `Hi Bob,\n\n${BODY}`);
    assert.equal(await page.evaluate(() => document.activeElement.classList.contains('compose-text')), true);

    const [resp] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/Send')),
      page.click('.compose-send'),
    ]);
    assert.equal(resp.status(), 200);
    await page.waitForSelector('.compose', { state: 'detached' });
    assert.deepEqual(problems.filter((p) => !/status of 403/.test(p)), []);
  });

  await withPage(browser, DESKTOP, 'templates-bob', async (page) => {
    await login(page, BOB);
    const end = Date.now() + 30000;
    let m;
    while (!m) {
      const r = await pageApi(page, 'MessageList', { folder: 'INBOX', offset: 0, limit: 50, sort: '-date' });
      m = r.body.messages.find((x) => x.subject === subject);
      if (!m && Date.now() > end) assert.fail(`"${subject}" did not arrive`);
      if (!m) await new Promise((res) => setTimeout(res, 500));
    }
    const full = await pageApi(page, 'Message', { folder: 'INBOX', uid: m.uid });
    assert.equal(full.status, 200, JSON.stringify(full.body));
    const text = full.body.text.replace(/\r\n/g, '\n');
    assert.ok(text.includes(`Hi Bob,\n\n${BODY}`), text);
  });
});

test('in formatted (HTML) mode a template goes in as text, never as markup', async () => {
  await withPage(browser, DESKTOP, 'templates-html', async (page, problems) => {
    await login(page, ALICE);
    const markup = '<img src=x onerror="window.pwned=1"> <b>not bold</b>';
    const r = await pageApi(page, 'plugin/templates/Save', { name: `Markup ${RUN}`, body: markup });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    await openCompose(page);
    await page.click('.compose-mode:not(.compose-plugin-btn)');
    await page.waitForSelector('.compose-html:not([hidden])');
    await page.click('.compose-plugin-btn');
    await page.click(`.compose-plugin-menu .menu-item:has-text("Markup ${RUN}")`);
    await page.waitForFunction(() => document.querySelector('.compose-html').textContent.includes('not bold'));
    const html = await page.evaluate(() => ({
      text: document.querySelector('.compose-html').textContent,
      tags: document.querySelectorAll('.compose-html img, .compose-html b').length,
      pwned: window.pwned === 1,
    }));
    assert.equal(html.tags, 0);
    assert.equal(html.pwned, false);
    assert.ok(html.text.includes(markup), html.text);
    assert.deepEqual(problems, []);
  });
});

test('screenshots: settings and the compose menu, desktop and phone, light and dark', async () => {
  for (const [opts, tag] of [[DESKTOP, 'desktop'], [PHONE, 'phone'],
    [{ ...DESKTOP, colorScheme: 'dark' }, 'desktop-dark'], [{ ...PHONE, colorScheme: 'dark' }, 'phone-dark']]) {
    await withPage(browser, opts, `templates-${tag}`, async (page, problems) => {
      await login(page, ALICE);
      if (tag === 'desktop') {
        await pageApi(page, 'plugin/templates/Save', { name: 'Out of office', body: 'I am away until Monday.' });
        await pageApi(page, 'plugin/templates/Save', { name: 'Meeting follow-up', body: 'Thanks for the meeting today.' });
      }
      await openSettings(page);
      await page.click('#plugin-templates-list .plugin-item-btn');
      await page.waitForSelector('#plugin-templates-delete:not([hidden])');
      const wide = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(wide <= opts.viewport.width, `settings page is ${wide}px wide`);
      await shot(page, `settings-plugin-templates-${tag}`);
      await page.goto(`${BASE_URL}/#/`);
      await page.waitForSelector('#list');
      await openCompose(page);
      await page.click('.compose-plugin-btn');
      await page.waitForSelector('.compose-plugin-menu .menu-item:focus');
      const box = await page.locator('.compose-plugin-menu').boundingBox();
      assert.ok(box.x >= 0 && box.x + box.width <= opts.viewport.width, JSON.stringify(box));
      await shot(page, `compose-templates-menu-${tag}`);
      assert.deepEqual(problems, []);
    });
  }
});
