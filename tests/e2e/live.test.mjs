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
