// Plugins in Chromium against the real stack: the admin enables
// change-password on the Plugins page and points its passwd-file driver at
// the test Dovecot's users file; carol changes her password in Settings →
// Password, stays signed in, and the new password signs in afterwards.
// The users file and the plugin list are put back at the end whatever
// happens. Screenshots of the Plugins page and the settings section at
// 1440×900 and 390×844.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { BASE_URL, DESKTOP, PHONE, launch, login, pageApi, shot, withPage } from './lib.mjs';

const WEB = process.env.PETREL_WEBSTACK_DIR;
const STACK = process.env.PETREL_MAILSTACK_DIR;
const USERS = path.join(STACK, 'dovecot', 'users');
const OPTIONS = path.join(WEB, 'data', '_data_', '_default_', 'configs', 'plugin-change-password.json');
const NEW_PASSWORD = `Gull-Island-${Date.now() % 100000}#`;
let browser;
let carol;
let usersBefore;

function credentials() {
  const text = fs.readFileSync(path.join(WEB, 'admin.credentials'), 'utf8');
  const m = text.match(/^Username: (\S+)\nPassword: (\S+)\nSecret key: (\S+)\n$/);
  assert.ok(m, 'credentials file has the three lines');
  return { user: m[1], password: m[2], key: m[3] };
}

async function adminSignIn(page) {
  const c = credentials();
  await page.goto(`${BASE_URL}/?${c.key}`);
  await page.fill('#admin-login', c.user);
  await page.fill('#admin-password', c.password);
  await Promise.all([page.waitForURL(/\/admin\/$/), page.click('#admin-login-submit')]);
}

async function openPlugins(page) {
  await page.click('.admin-nav a[href="/admin/plugins"]');
  await page.waitForSelector('#plugin-change-password');
}

before(async () => {
  browser = await launch();
  carol = JSON.parse(fs.readFileSync(path.join(STACK, 'mailstack.json'), 'utf8'))
    .users.find((u) => u.email === 'carol@example.org');
  usersBefore = fs.readFileSync(USERS, 'utf8');
});
after(async () => {
  // Same inode, mode and owner: Dovecot reads the old passwords again.
  if (usersBefore !== undefined) fs.writeFileSync(USERS, usersBefore);
  await withPage(browser, DESKTOP, 'plugins-cleanup', async (page) => {
    await adminSignIn(page);
    await openPlugins(page);
    if (await page.$('#plugin-change-password-disable')) {
      await Promise.all([page.waitForURL(/saved=1/), page.click('#plugin-change-password-disable')]);
    }
  }).catch(() => {});
  fs.rmSync(OPTIONS, { force: true });
  await browser?.close();
});

test('the admin enables change-password with the passwd-file driver', async () => {
  await withPage(browser, DESKTOP, 'plugins-admin', async (page, problems) => {
    await adminSignIn(page);
    await openPlugins(page);
    assert.equal(await page.textContent('h1'), 'Plugins');
    await shot(page, 'admin-plugins');
    await Promise.all([page.waitForURL(/saved=1/), page.click('#plugin-change-password-enable')]);
    await page.waitForSelector('#plugin-change-password .pill-ok');
    await page.waitForSelector('#plugin-change-password-options');
    // A bad value first: shown next to its field, nothing stored.
    await page.fill('#opt-pass_min_length', '0');
    await Promise.all([page.waitForLoadState('load'), page.click('#plugin-change-password-save')]);
    await page.waitForSelector('#plugin-change-password .f.has-error .f-error');
    assert.equal(fs.existsSync(OPTIONS), false);
    await page.fill('#opt-pass_min_length', '10');
    await page.check('#opt-driver_passwd_file_enabled');
    await page.fill('#opt-driver_passwd_file_allowed_emails', 'carol@example.org');
    await page.fill('#opt-passwd_file', USERS);
    await Promise.all([page.waitForURL(/saved=1/), page.click('#plugin-change-password-save')]);
    assert.equal(JSON.parse(fs.readFileSync(OPTIONS, 'utf8')).plugin.passwd_file, USERS);
    assert.equal(await page.inputValue('#opt-passwd_file'), USERS);
    await shot(page, 'admin-plugins-enabled');
    // The refused form answered 400 on purpose; nothing else went wrong.
    assert.deepEqual(problems.filter((p) => !/status of 400/.test(p)), []);
  });
  await withPage(browser, PHONE, 'plugins-admin-phone', async (page) => {
    await adminSignIn(page);
    await openPlugins(page);
    // Nothing wider than the screen.
    const wide = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(wide <= 390, `page is ${wide}px wide`);
    await shot(page, 'admin-plugins-phone');
  });
});

test('carol changes her password in Settings and stays signed in', async () => {
  await withPage(browser, DESKTOP, 'plugins-settings', async (page, problems) => {
    // PluginSettings answers late: the deep link below comes first and must
    // wait for the plugin's section, not fall back to General.
    await page.route('**/api/PluginSettings', async (r) => {
      await new Promise((res) => setTimeout(res, 1500));
      await r.continue();
    });
    await login(page, carol);
    await page.goto(`${BASE_URL}/#/settings/plugin-change-password`);
    await page.waitForSelector('#plugin-change-password-form');
    assert.equal(await page.textContent('.set-page-title'), 'Password');
    // The plugin's refusal shows above the form.
    await page.fill('#plugin-change-password-current', 'not-carols');
    await page.fill('#plugin-change-password-new', NEW_PASSWORD);
    await page.fill('#plugin-change-password-repeat', NEW_PASSWORD);
    await page.click('#plugin-change-password-save');
    await page.waitForSelector('#plugin-change-password-result.alert-error');
    assert.equal(await page.textContent('#plugin-change-password-result'), 'The current password is wrong.');
    await page.fill('#plugin-change-password-current', carol.password);
    await page.fill('#plugin-change-password-new', NEW_PASSWORD);
    await page.fill('#plugin-change-password-repeat', NEW_PASSWORD);
    await page.click('#plugin-change-password-save');
    await page.waitForSelector('#plugin-change-password-result.alert-ok');
    await shot(page, 'settings-plugin-password');
    // Still signed in: the session's sealed password is the new one, so a
    // fresh IMAP login for this session works.
    const r = await pageApi(page, 'Folders', {});
    assert.equal(r.status, 200, JSON.stringify(r.body));
    // The refusal answered 403 on purpose; nothing else went wrong.
    assert.deepEqual(problems.filter((p) => !/status of 403/.test(p)), []);
  });
  // Dovecot re-reads a changed passwd-file at most once a second: a new
  // sign-in waits for that, as a user signing in again would.
  await new Promise((r) => setTimeout(r, 2500));
  await withPage(browser, PHONE, 'plugins-settings-phone', async (page) => {
    await login(page, { email: carol.email, password: NEW_PASSWORD });
    await page.goto(`${BASE_URL}/#/settings/plugin-change-password`);
    await page.waitForSelector('#plugin-change-password-form');
    await shot(page, 'settings-plugin-password-phone');
    // The old password no longer signs in.
    const old = await page.evaluate(async (pw) => {
      const r = await fetch('/api/Login', {
        method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ email: 'carol@example.org', password: pw }),
      });
      return r.status;
    }, carol.password);
    assert.equal(old, 401);
  });
});
