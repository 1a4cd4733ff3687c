// Live updates: a message delivered through Postfix appears in the open
// list without a reload (IMAP IDLE -> petrel's event server -> SSE).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BASE_URL, DESKTOP, launch, shot, withPage } from './lib.mjs';

const STACK = process.env.PETREL_MAILSTACK_DIR;
let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

function stack() {
  return JSON.parse(fs.readFileSync(path.join(STACK, 'mailstack.json'), 'utf8'));
}

test('new mail shows up in the open folder without reloading', async () => {
  const info = stack();
  const bob = info.users.find((u) => u.email === 'bob@example.test');
  await withPage(browser, DESKTOP, 'live-update', async (page, problems) => {
    const stream = page.waitForResponse((r) => r.url().includes('/events?folder=INBOX'),
      { timeout: 15000 });
    await page.goto(BASE_URL + '/');
    await page.fill('#login-email', bob.email);
    await page.fill('#login-password', bob.password);
    await Promise.all([page.waitForNavigation(), page.click('#login-submit')]);
    await page.waitForSelector('#list');
    // The page opened its event stream for INBOX (headers arrived); give
    // the server a moment to start IDLE on the folder.
    const resp = await stream;
    assert.equal(resp.status(), 200);
    assert.match(resp.headers()['content-type'], /text\/event-stream/);
    await page.waitForTimeout(1500);
    let navigated = false;
    page.on('framenavigated', () => { navigated = true; });

    const subject = `Live update ${Date.now()}`;
    execFileSync('swaks', ['--silent', '2', '--to', bob.email, '--from', 'carol@example.org',
      '--server', `127.0.0.1:${info.ports.smtp}`, '--h-Subject', subject,
      '--body', 'Delivered by Postfix while the page was open.']);

    // The slow fallback poll runs once a minute: 20 s proves the push.
    await page.waitForFunction((s) => [...document.querySelectorAll('#list .row[data-uid]')]
      .some((r) => r.textContent.includes(s)), subject, { timeout: 20000 });
    assert.equal(navigated, false, 'no reload happened');
    await shot(page, 'live-update');
    assert.deepEqual(problems, []);
  });
});

test('desktop notification for new INBOX mail while another folder is open', async () => {
  const info = stack();
  const bob = info.users.find((u) => u.email === 'bob@example.test');
  await withPage(browser, DESKTOP, 'live-notify', async (page, problems) => {
    // A stand-in Notification that records what the page shows.
    await page.addInitScript(() => {
      window.__shown = [];
      class FakeNotification extends EventTarget {
        constructor(title, opts) { super(); window.__shown.push({ title, body: opts.body }); }
        close() {}
        static requestPermission() { return Promise.resolve('granted'); }
      }
      FakeNotification.permission = 'granted';
      window.Notification = FakeNotification;
    });
    await page.goto(BASE_URL + '/');
    await page.fill('#login-email', bob.email);
    await page.fill('#login-password', bob.password);
    await Promise.all([page.waitForNavigation(), page.click('#login-submit')]);
    await page.waitForSelector('#list');
    // Switched on in Settings → General (asks the browser's permission).
    await page.goto(BASE_URL + '/#/settings/general');
    await page.waitForSelector('#set-notify');
    await page.locator('#set-notify').check({ force: true });
    await page.waitForFunction(() => localStorage.getItem('petrel.notify') === '1' &&
      document.getElementById('set-notify').checked);
    await page.waitForTimeout(400); // the switch's slide
    await shot(page, 'live-notify-setting');
    // Back to the mail, in Sent: INBOX is not in view.
    const stream = page.waitForResponse((r) => r.url().includes('/events?folder=INBOX'), { timeout: 15000 });
    await page.goto(BASE_URL + '/#/folder/Sent');
    await page.waitForSelector('#list');
    await stream;
    await page.waitForTimeout(1500);
    const subject = `Notify ${Date.now()}`;
    execFileSync('swaks', ['--silent', '2', '--to', bob.email, '--from', 'carol@example.org',
      '--server', `127.0.0.1:${info.ports.smtp}`, '--h-From', 'Carol Notify <carol@example.org>',
      '--h-Subject', subject, '--body', 'A notification, please.']);
    await page.waitForFunction((s) => window.__shown.some((n) => n.body === s), subject, { timeout: 20000 });
    const shown = await page.evaluate(() => window.__shown);
    assert.equal(shown.length, 1, JSON.stringify(shown));
    assert.equal(shown[0].title, 'Carol Notify');
    // The favicon carries INBOX's unread count.
    await page.waitForFunction(() => Number(document.querySelector('link[rel="icon"]').dataset.unread) > 0);
    assert.deepEqual(problems, []);
  });
});
