// The admin panel in Chromium: the hidden URL, sign-in, adding a domain,
// the connection test against the harness's Dovecot and Postfix.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { BASE_URL, DESKTOP, PHONE, launch, shot, withPage } from './lib.mjs';

const WEB = process.env.PETREL_WEBSTACK_DIR;
const STACK = process.env.PETREL_MAILSTACK_DIR;

function credentials() {
  const text = fs.readFileSync(path.join(WEB, 'admin.credentials'), 'utf8');
  const m = text.match(/^Username: (\S+)\nPassword: (\S+)\nSecret key: (\S+)\n$/);
  assert.ok(m, 'credentials file has the three lines');
  return { user: m[1], password: m[2], key: m[3] };
}

function stack() {
  return JSON.parse(fs.readFileSync(path.join(STACK, 'mailstack.json'), 'utf8'));
}

async function signIn(page) {
  const c = credentials();
  const resp = await page.goto(`${BASE_URL}/?${c.key}`);
  assert.equal(resp.status(), 200);
  await page.waitForSelector('#admin-login-form');
  await page.fill('#admin-login', c.user);
  await page.fill('#admin-password', c.password);
  await Promise.all([page.waitForURL(/\/admin\/$/), page.click('#admin-login-submit')]);
}

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('a wrong key shows the ordinary sign-in page', async () => {
  await withPage(browser, DESKTOP, 'admin-wrong-key', async (page, problems) => {
    const resp = await page.goto(`${BASE_URL}/?admin_00000000`);
    assert.equal(resp.status(), 200);
    await page.waitForSelector('#login-form');
    assert.equal(await page.$('#admin-login-form'), null);
    assert.deepEqual(problems, []);
  });
});

test('sign in, see the dashboard, add a domain and test its servers', async () => {
  await withPage(browser, DESKTOP, 'admin-flow', async (page, problems) => {
    await page.goto(`${BASE_URL}/?${credentials().key}`);
    await page.waitForSelector('#admin-login-form');
    await shot(page, 'admin-login');
    await signIn(page);
    assert.equal(await page.textContent('h1'), 'Dashboard');
    assert.match(await page.textContent('#dash-version'), /^\d+\.\d+\.\d+$/);
    // The stylesheet applied: the sidebar is dark, the cards rounded.
    const radius = await page.$eval('.card', (e) => getComputedStyle(e).borderTopLeftRadius);
    assert.equal(radius, '12px');
    await shot(page, 'admin-dashboard');

    await page.click('.admin-nav a[href="/admin/domains"]');
    await page.waitForSelector('#domain-list');
    await page.click('#domain-add');
    await page.waitForSelector('#domain-form');
    const ports = stack().ports;
    const dom = `e2e-${Date.now()}.test`;
    await page.fill('#f-name', dom);
    await page.fill('#f-imap_host', 'localhost');
    await page.fill('#f-imap_port', String(ports.imap));
    await page.selectOption('#f-imap_secure', 'TLS');
    await page.fill('#f-smtp_host', 'localhost');
    await page.fill('#f-smtp_port', String(ports.submission));
    await page.selectOption('#f-sieve_use', 'On');
    await page.fill('#f-sieve_host', 'localhost');
    await page.fill('#f-sieve_port', String(ports.sieve));
    await page.fill('#f-ca_file', stack().ca_file);
    // A bad port first: the error shows next to the field, nothing saved.
    await page.fill('#f-smtp_port', '99999');
    await Promise.all([page.waitForLoadState('load'), page.click('#domain-save')]);
    await page.waitForSelector('.f.has-error .f-error');
    assert.match(await page.textContent('.f.has-error .f-error'), /1 to 65535/);
    await shot(page, 'admin-domain-error');
    await page.fill('#f-smtp_port', String(ports.submission));
    // The connection test against the harness's servers.
    await Promise.all([page.waitForLoadState('load'), page.click('#domain-test')]);
    await page.waitForSelector('#probe-results');
    const probes = await page.$$eval('.probe', (els) => els.map((e) => ({
      proto: e.dataset.proto, ok: e.classList.contains('probe-ok'), text: e.textContent,
    })));
    assert.equal(probes.length, 3, JSON.stringify(probes));
    for (const p of probes) assert.ok(p.ok, `${p.proto} reachable: ${p.text}`);
    assert.match(probes[0].text, /IMAP4rev1/);
    assert.match(probes[0].text, /certificate verified/);
    assert.match(probes[1].text, /AUTH/);
    assert.match(probes[2].text, /SIEVE/);
    await page.$eval('#probe-results', (e) => e.scrollIntoView());
    await shot(page, 'admin-domain-test');
    // Save, and it is in the list.
    await Promise.all([page.waitForURL(/\/admin\/domains\?saved=1/), page.click('#domain-save')]);
    assert.ok(await page.$(`tr[data-domain="${dom}"]`), 'new domain listed');
    await shot(page, 'admin-domains');
    // Clean up (confirm() is answered yes).
    page.once('dialog', (d) => d.accept());
    await Promise.all([
      page.waitForURL(/\/admin\/domains\?saved=1/),
      page.click(`tr[data-domain="${dom}"] .btn-danger`),
    ]);
    assert.equal(await page.$(`tr[data-domain="${dom}"]`), null);

    for (const [href, name] of [['/admin/settings', 'admin-settings'],
      ['/admin/security', 'admin-security'], ['/admin/logs', 'admin-logs']]) {
      await page.click(`.admin-nav a[href="${href}"]`);
      await page.waitForSelector('.admin-main h1');
      await shot(page, name);
    }
    assert.ok(await page.$('#audit-log'));
    assert.match(await page.textContent('#audit-log'), /domain\.add/);
    // The invalid form above answered 400 on purpose.
    assert.deepEqual(problems.filter((p) => !/status of 400/.test(p)), []);
  });
});

test('admin pages fit a phone screen', async () => {
  await withPage(browser, PHONE, 'admin-phone', async (page, problems) => {
    await signIn(page);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390, `no sideways scrolling: ${width}`);
    await shot(page, 'admin-phone');
    assert.deepEqual(problems, []);
  });
});

test('branding: upload a logo, see it on the sign-in page, restore the default', async () => {
  // A 200x56 PNG drawn by the browser itself (no image files in the tree).
  await withPage(browser, DESKTOP, 'admin-branding', async (page, problems) => {
    await signIn(page);
    await page.click('.admin-nav a[href="/admin/settings"]');
    await page.waitForSelector('#brand-logo');
    const png = await page.evaluate(() => {
      const c = document.createElement('canvas');
      c.width = 200; c.height = 56;
      const g = c.getContext('2d');
      g.fillStyle = '#0b5cad'; g.fillRect(0, 0, 200, 56);
      g.fillStyle = '#ffffff'; g.font = 'bold 30px sans-serif'; g.fillText('ACME Mail', 14, 39);
      return c.toDataURL('image/png').split(',')[1];
    });
    await page.setInputFiles('#brand-logo-file', {
      name: 'acme.png', mimeType: 'image/png', buffer: Buffer.from(png, 'base64'),
    });
    await Promise.all([page.waitForURL(/\/admin\/settings\?saved=1/), page.click('#brand-logo-upload')]);
    assert.match(await page.getAttribute('#brand-logo-img', 'src'), /^\/branding\/logo\?v=[0-9a-f]{16}$/);
    const natural = await page.$eval('#brand-logo-img', (e) => e.naturalWidth);
    assert.equal(natural, 200);
    await page.$eval('#branding', (e) => e.scrollIntoView());
    await shot(page, 'admin-branding');

    const anon = await page.context().browser().newContext({ viewport: DESKTOP.viewport });
    const p2 = await anon.newPage();
    await p2.goto(`${BASE_URL}/`);
    await p2.waitForSelector('.login-logo');
    assert.match(await p2.getAttribute('.login-logo', 'src'), /^\/branding\/logo\?v=/);
    assert.equal(await p2.$eval('.login-logo', (e) => e.naturalWidth), 200);
    await shot(p2, 'login-custom-logo');
    await anon.close();

    await Promise.all([page.waitForURL(/\/admin\/settings\?saved=1/), page.click('#brand-logo-remove')]);
    assert.match(await page.getAttribute('#brand-logo-img', 'src'), /petrel\.svg/);
    assert.deepEqual(problems, []);
  });
});

test('default SMTP relay: refused in clear, saved over TLS, switched off', async () => {
  await withPage(browser, DESKTOP, 'admin-relay', async (page, problems) => {
    await signIn(page);
    await page.goto(`${BASE_URL}/admin/settings#relay`);
    assert.match(await page.textContent('#relay h2'), /Off/);
    try {
      await page.fill('#relay-host', 'smtp.relay.test');
      await page.fill('#relay-user', 'acct');
      await page.fill('#relay-password', 'Relay-pw-1');
      await page.selectOption('#relay-secure', 'None');
      await page.click('#relay-save');
      await page.waitForSelector('#relay .f-error');
      assert.match(await page.textContent('#relay'), /choose SSL or TLS/);
      // The password typed is never sent back into the page.
      assert.equal(await page.inputValue('#relay-password'), '');
      await page.fill('#relay-password', 'Relay-pw-1');
      await page.selectOption('#relay-secure', 'TLS');
      await Promise.all([page.waitForURL(/\/admin\/settings\?saved=1/), page.click('#relay-save')]);
      assert.match(await page.textContent('#relay h2'), /On/);
      assert.match(await page.textContent('#relay'), /A password is stored/);
      await page.$eval('#relay', (e) => e.scrollIntoView());
      await shot(page, 'admin-relay');
    } finally {
      // Off again: the other tests send through the harness's Postfix.
      await page.goto(`${BASE_URL}/admin/settings#relay`);
      await page.fill('#relay-host', '');
      await page.fill('#relay-user', '');
      await page.selectOption('#relay-secure', 'TLS');
      await Promise.all([page.waitForURL(/\/admin\/settings\?saved=1/), page.click('#relay-save')]);
    }
    assert.match(await page.textContent('#relay h2'), /Off/);
    // The refused form above answered 400 on purpose.
    assert.deepEqual(problems.filter((p) => !/status of 400/.test(p)), []);
  });
});
