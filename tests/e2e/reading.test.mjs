// Issue 17's reading features in the browser against the real stack: the
// print view (menu and Ctrl+P), the Unsubscribe bar and its confirmation
// (the one-click POST reaches a local https list server only after the
// click), mailto: links in a message opening Petrel's compose, and the
// read-receipt bar. Screenshots: desktop and phone, light and dark.
//
// The test delivers its own messages into a fresh folder with
// tests/harness/mailstack.py fill-maildir (PETREL_MAILSTACK_DIR); the
// test stack's [unsubscribe] allows the local server (webstack.py).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { BASE_URL, DESKTOP, PHONE, launch, pageApi, shot, withPage } from './lib.mjs';

const USER = process.env.PETREL_E2E_USER || 'alice@example.test';
const PASS = process.env.PETREL_E2E_PASS || 'alice-pass-1';
const STACK = process.env.PETREL_MAILSTACK_DIR;
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const FOLDER = `E2E Reading ${Date.now()}`;

// The list's server: counts the POSTs it gets, per path.
const posts = [];
let server;
let port = 0;
function startServer() {
  const tls = path.join(STACK, 'tls');
  server = https.createServer({
    cert: fs.readFileSync(path.join(tls, 'server.pem')),
    key: fs.readFileSync(path.join(tls, 'server.key')),
  }, (req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      posts.push({ method: req.method, url: req.url, body, cookie: req.headers.cookie || null });
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('ok');
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => { port = server.address().port; resolve(); }));
}

function mail(subject, extra, body, html) {
  return [
    'From: Weekly News <news@lists.example.org>',
    'To: Alice Martin <alice@example.test>',
    `Subject: ${subject}`,
    'Date: Fri, 04 Dec 2026 09:00:00 +0000',
    `Message-ID: <${subject.replace(/\W+/g, '-')}-${Date.now()}@lists.example.org>`,
    ...extra,
    'MIME-Version: 1.0',
    `Content-Type: ${html ? 'text/html' : 'text/plain'}; charset=utf-8`,
    '',
    body,
    '',
  ].join('\r\n');
}

let delivered = false;
function deliver() {
  if (!STACK) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'petrel-reading-'));
  const files = {
    'both.eml': mail('E2E list and receipt', [
      `List-Unsubscribe: <https://localhost:${port}/unsub/both>, <mailto:leave@lists.example.org>`,
      'List-Unsubscribe-Post: List-Unsubscribe=One-Click',
      'Return-Path: <bob@example.test>',
      'Disposition-Notification-To: Bob <bob@example.test>',
    ], 'This week: the news.\r\n\r\nSee you next week.'),
    'unsub.eml': mail('E2E unsubscribe', [
      `List-Unsubscribe: <https://localhost:${port}/unsub/one>`,
      'List-Unsubscribe-Post: List-Unsubscribe=One-Click',
    ], 'A list message.'),
    'mailto.eml': mail('E2E mailto link', [],
      '<p>Questions? <a href="mailto:dave@example.test?subject=Hello%20Dave&amp;body=Hi">Write to Dave</a></p>', true),
    'receipt.eml': mail('E2E receipt', [
      'Return-Path: <bob@example.test>',
      'Disposition-Notification-To: <bob@example.test>',
    ], 'Did you get this?'),
  };
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  execFileSync('python3', [path.join(ROOT, 'tests/harness/mailstack.py'), 'fill-maildir', '--dir', STACK,
    '--user', USER, '--folder', FOLDER, ...Object.keys(files).map((n) => path.join(dir, n))], { stdio: 'pipe' });
  fs.rmSync(dir, { recursive: true, force: true });
  delivered = true;
}

let browser;
before(async () => {
  if (STACK) await startServer();
  deliver();
  browser = await launch();
});
after(async () => {
  if (delivered && browser) {
    await withPage(browser, DESKTOP, 'reading17-cleanup', async (page) => {
      await login(page);
      await pageApi(page, 'FolderDelete', { path: FOLDER });
    }).catch(() => {});
  }
  await browser?.close();
  server?.close();
});

async function login(page, hash) {
  await page.goto(BASE_URL + '/' + (hash || ''));
  await page.waitForSelector('#login-form');
  await page.fill('#login-email', USER);
  await page.fill('#login-password', PASS);
  await Promise.all([page.waitForNavigation(), page.click('#login-submit')]);
  await page.waitForSelector(hash ? '#message:not([hidden])' : '#list .row[data-uid]');
}

async function uidOf(page, subject) {
  const r = await pageApi(page, 'MessageList', { folder: FOLDER, limit: 50 });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const m = r.body.messages.find((x) => x.subject === subject);
  assert.ok(m, `message ${subject} in ${FOLDER}`);
  return m.uid;
}

async function open(page, subject) {
  const uid = await uidOf(page, subject);
  await page.evaluate((h) => { location.hash = h; }, '#/folder/' + encodeURIComponent(FOLDER) + '?m=' + uid);
  await page.waitForFunction((want) => document.getElementById('msg-subject').textContent === want &&
    !document.getElementById('message').classList.contains('is-loading'), subject);
  return uid;
}

const appProblems = (problems) => problems.filter((p) => !/\/message\/|Content Security Policy|Refused to/.test(p));

test('print view: headers, body and attachments on a sandboxed page, from the menu and Ctrl+P', async () => {
  assert.ok(delivered, 'PETREL_MAILSTACK_DIR is set and the test messages were delivered');
  await withPage(browser, DESKTOP, 'reading17-print', async (page, problems) => {
    await login(page);
    await open(page, 'E2E list and receipt');
    await page.click('#msg-more');
    const href = await page.getAttribute('#msg-print', 'href');
    assert.match(href, /^\/message\/print\?folder=.*&uid=\d+$/);
    await page.keyboard.press('Escape');
    // Ctrl+P opens the same print view in a new tab.
    const [popup] = await Promise.all([page.context().waitForEvent('page'), page.keyboard.press('Control+p')]);
    await popup.waitForLoadState('load');
    assert.ok(popup.url().endsWith(href), popup.url());
    // print.js ran (its nonce is the only script the page's CSP allows).
    await popup.waitForSelector('html.print-ready');
    assert.equal(await popup.textContent('#print-subject'), 'E2E list and receipt');
    const fields = await popup.$$eval('.print-field', (n) => n.map((f) => [f.dataset.field, f.querySelector('dd').textContent]));
    assert.deepEqual(fields.map((f) => f[0]), ['from', 'to', 'date']);
    assert.match(fields[0][1], /Weekly News <news@lists\.example\.org>/);
    assert.match(fields[1][1], /alice@example\.test/);
    assert.match(await popup.textContent('#print-body'), /This week: the news\./);
    // The page keeps the body's isolation: an opaque origin, no cookies.
    assert.equal(await popup.evaluate(() => { try { return document.cookie; } catch (e) { return 'blocked'; } }), 'blocked');
    await shot(popup, 'reading17-print-desktop');
    await popup.close();
    assert.deepEqual(appProblems(problems), []);
  });
  // Inline pictures of an HTML message (cid:) show in the print view too.
  await withPage(browser, DESKTOP, 'reading17-print-inline', async (page) => {
    await login(page);
    const r = await pageApi(page, 'MessageList', { folder: 'INBOX', limit: 100, search: 'subject:"Chart attached inline"' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.ok(r.body.messages.length > 0, 'the corpus has "Chart attached inline"');
    await page.goto(BASE_URL + '/message/print?folder=INBOX&uid=' + r.body.messages[0].uid);
    await page.waitForSelector('html.print-ready');
    const imgs = await page.$$eval('#print-body img', (n) => n.map((i) => [i.complete, i.naturalWidth, i.getAttribute('src').slice(0, 40)]));
    assert.ok(imgs.length > 0, 'the message has an inline picture');
    for (const [done, w, src] of imgs) assert.ok(done && w > 0, `picture ${src} shows (width ${w})`);
    await shot(page, 'reading17-print-inline-desktop');
  });
  await withPage(browser, PHONE, 'reading17-print-phone', async (page) => {
    await login(page);
    const uid = await uidOf(page, 'E2E list and receipt');
    await page.goto(BASE_URL + '/message/print?folder=' + encodeURIComponent(FOLDER) + '&uid=' + uid);
    await page.waitForSelector('html.print-ready');
    await shot(page, 'reading17-print-phone');
  });
});

test('message with a list and a receipt request: both bars, desktop and phone, light and dark', async () => {
  assert.ok(delivered);
  for (const [opts, tag] of [[DESKTOP, 'desktop'], [{ ...DESKTOP, colorScheme: 'dark' }, 'desktop-dark'],
    [PHONE, 'phone'], [{ ...PHONE, colorScheme: 'dark' }, 'phone-dark']]) {
    await withPage(browser, opts, `reading17-bars-${tag}`, async (page, problems) => {
      await login(page);
      await open(page, 'E2E list and receipt');
      await page.waitForSelector('#msg-receipt');
      await page.waitForSelector('#msg-unsub');
      assert.match(await page.textContent('#msg-receipt'), /The sender asked for a read receipt\./);
      assert.match(await page.textContent('#msg-unsub'), /mailing list/);
      await shot(page, `reading17-bars-${tag}`);
      assert.deepEqual(appProblems(problems), []);
    });
  }
  assert.equal(posts.length, 0, 'showing the bars contacted nobody');
});

test('Unsubscribe asks first; the one-click POST goes once, after the click', async () => {
  assert.ok(delivered);
  await withPage(browser, DESKTOP, 'reading17-unsub', async (page, problems) => {
    await login(page);
    await open(page, 'E2E unsubscribe');
    await page.click('#msg-unsub-btn');
    await page.waitForSelector('#reading-dialog');
    assert.match(await page.textContent('#reading-dialog'), new RegExp(`localhost:${port}`));
    await page.waitForTimeout(300);   // the overlay's fade-in
    await shot(page, 'reading17-unsub-confirm-desktop');
    await page.click('#reading-dialog-cancel');
    assert.equal(await page.$('#reading-dialog'), null);
    assert.equal(posts.filter((p) => p.url === '/unsub/one').length, 0, 'Cancel sends nothing');
    await page.click('#msg-unsub-btn');
    await page.click('#reading-dialog-ok');
    await page.waitForSelector('.toast:has-text("Unsubscribed")');
    const got = posts.filter((p) => p.url === '/unsub/one');
    assert.equal(got.length, 1);
    assert.equal(got[0].method, 'POST');
    assert.equal(got[0].body, 'List-Unsubscribe=One-Click');
    assert.equal(got[0].cookie, null);
    assert.equal(await page.isDisabled('#msg-unsub-btn'), true);
    await shot(page, 'reading17-unsub-done-desktop');
    assert.deepEqual(appProblems(problems), []);
  });
  await withPage(browser, { ...PHONE, colorScheme: 'dark' }, 'reading17-unsub-phone', async (page) => {
    await login(page);
    await open(page, 'E2E unsubscribe');
    await page.click('#msg-unsub-btn');
    await page.waitForSelector('#reading-dialog');
    await page.waitForTimeout(300);
    await shot(page, 'reading17-unsub-confirm-phone-dark');
    await page.click('#reading-dialog-cancel');
  });
});

test('a mailto: link in a message opens Petrel\'s compose', async () => {
  assert.ok(delivered);
  await withPage(browser, DESKTOP, 'reading17-mailto', async (page) => {
    await login(page);
    await open(page, 'E2E mailto link');
    const frame = await (await page.waitForSelector('#msg-frame')).contentFrame();
    await frame.waitForLoadState('load');
    const link = await frame.waitForSelector('a');
    assert.match(await link.getAttribute('href'), /^\/mailto\?uri=mailto:dave@example\.test\?subject=Hello%20Dave&body=Hi$/);
    const [popup] = await Promise.all([page.context().waitForEvent('page'), link.click()]);
    await popup.waitForSelector('#compose-subject');
    assert.equal(await popup.inputValue('#compose-subject'), 'Hello Dave');
    assert.match(await popup.textContent('.compose'), /dave@example\.test/);
    await shot(popup, 'reading17-mailto-compose-desktop');
    await popup.close();
  });
});

test('/mailto signs in first when needed, then opens compose (the protocol handler route)', async () => {
  await withPage(browser, PHONE, 'reading17-mailto-login', async (page) => {
    await page.goto(BASE_URL + '/mailto?uri=' + encodeURIComponent('mailto:erin@example.test?subject=From a site'));
    await page.waitForSelector('#login-form');
    await page.fill('#login-email', USER);
    await page.fill('#login-password', PASS);
    await Promise.all([page.waitForNavigation(), page.click('#login-submit')]);
    await page.waitForSelector('#compose-subject');
    assert.equal(await page.inputValue('#compose-subject'), 'From a site');
    assert.match(await page.textContent('.compose'), /erin@example\.test/);
    await shot(page, 'reading17-mailto-login-phone');
  });
});

test('read receipt: the bar sends the MDN once and goes away', async () => {
  assert.ok(delivered);
  await withPage(browser, PHONE, 'reading17-receipt', async (page, problems) => {
    await login(page);
    const uid = await open(page, 'E2E receipt');
    await page.waitForSelector('#msg-receipt');
    await shot(page, 'reading17-receipt-phone');
    await page.click('#msg-receipt-send');
    await page.waitForSelector('.toast:has-text("Read receipt sent to bob@example.test")');
    await page.waitForSelector('#msg-receipt', { state: 'detached' });
    const r = await pageApi(page, 'ReadingInfo', { folder: FOLDER, uid });
    assert.equal(r.status, 200);
    assert.equal(r.body.readReceipt, null);
    assert.equal(r.body.receiptAnswered, true);
    assert.deepEqual(appProblems(problems), []);
  });
});

test('settings: read receipts and the mail-link handler; compose asks for a receipt', async () => {
  assert.ok(delivered);
  for (const [opts, tag] of [[DESKTOP, 'desktop'], [{ ...PHONE, colorScheme: 'dark' }, 'phone-dark']]) {
    await withPage(browser, opts, `reading17-settings-${tag}`, async (page, problems) => {
      await login(page);
      await page.goto(`${BASE_URL}/#/settings/general`);
      await page.waitForSelector('#set-receipts');
      assert.equal(await page.isVisible('#set-mailto'), true);
      await page.locator('#set-receipts').scrollIntoViewIfNeeded();
      await shot(page, `reading17-settings-${tag}`);
      assert.deepEqual(appProblems(problems), []);
    });
  }
  await withPage(browser, PHONE, 'reading17-compose-receipt', async (page) => {
    await login(page);
    await page.evaluate(() => { location.hash = '#/compose?to=bob%40example.test&subject=Receipt%20please'; });
    await page.waitForSelector('.compose-receipt');
    await page.click('.compose-receipt');
    assert.equal(await page.getAttribute('.compose-receipt', 'aria-pressed'), 'true');
    await shot(page, 'reading17-compose-receipt-phone');
    const sent = page.waitForRequest((r) => r.url().endsWith('/api/Send'));
    await page.click('.compose-send');
    const req = await sent;
    assert.equal(JSON.parse(req.postData()).readReceipt, true);
  });
});
