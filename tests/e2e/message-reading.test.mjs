// Reading details of the message view against the real stack (nginx +
// petrel + Dovecot): attached messages (message/rfc822) open in the same
// safe view at a URL of their own, nested ones too, with a way back.
//
// The test delivers its own messages into a fresh folder "E2E Read <ts>"
// with tests/harness/mailstack.py fill-maildir (PETREL_MAILSTACK_DIR).
//
//   PETREL_BASE_URL=http://127.0.0.1:8080 PETREL_MAILSTACK_DIR=… node --test message-reading.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BASE_URL, DESKTOP, PHONE, launch, pageApi, shot, withPage } from './lib.mjs';

const USER = process.env.PETREL_E2E_USER || 'alice@example.test';
const PASS = process.env.PETREL_E2E_PASS || 'alice-pass-1';
const STACK = process.env.PETREL_MAILSTACK_DIR;
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const FIXTURES = path.join(ROOT, 'tests/harness/fixtures');
const FOLDER = `E2E Read ${Date.now()}`;

// A message attached to a message attached to a message.
function nestedMail() {
  return [
    'From: Carol Dubois <carol@example.org>',
    'To: Alice Martin <alice@example.test>',
    'Subject: E2E nested outer',
    'Date: Fri, 02 Jan 2026 10:00:00 +0000',
    'Message-ID: <e2e-nested-outer@example.test>',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="outer"',
    '',
    '--outer',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Outer text.',
    '--outer',
    'Content-Type: message/rfc822',
    '',
    'From: Bob Schneider <bob@example.test>',
    'To: Carol Dubois <carol@example.org>',
    'Subject: E2E nested middle',
    'Date: Thu, 01 Jan 2026 10:00:00 +0000',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="middle"',
    '',
    '--middle',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Middle text.',
    '--middle',
    'Content-Type: message/rfc822',
    '',
    'From: =?utf-8?q?J=C3=BCrgen_Gro=C3=9F?= <j.gross@firma.example>',
    'To: Bob Schneider <bob@example.test>',
    'Subject: =?utf-8?q?E2E_nested_inner_=C3=BC?=',
    'Date: Wed, 31 Dec 2025 10:00:00 +0000',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Inner text.',
    '--middle--',
    '',
    '--outer--',
    '',
  ].join('\n');
}

// A reply quoting a long message: the quote is folded in the body frame.
function quotedMail() {
  return [
    'From: Carol Dubois <carol@example.org>',
    'To: Alice Martin <alice@example.test>',
    'Subject: E2E long quote',
    'Date: Sat, 03 Jan 2026 10:00:00 +0000',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'My answer is above the quote.',
    '',
    'On Friday Alice wrote:',
    ...Array.from({ length: 9 }, (_, i) => `> Quoted line ${i + 1}`),
    '',
    'Carol',
    '',
  ].join('\n');
}

let delivered = false;
function deliver() {
  if (!STACK) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'petrel-read-'));
  const files = [path.join(FIXTURES, '17-forwarded-rfc822.eml')];
  fs.writeFileSync(path.join(dir, 'nested.eml'), nestedMail());
  files.push(path.join(dir, 'nested.eml'));
  fs.writeFileSync(path.join(dir, 'quoted.eml'), quotedMail());
  files.push(path.join(dir, 'quoted.eml'));
  execFileSync('python3', [path.join(ROOT, 'tests/harness/mailstack.py'), 'fill-maildir', '--dir', STACK,
    '--user', USER, '--folder', FOLDER, ...files], { stdio: 'pipe' });
  fs.rmSync(dir, { recursive: true, force: true });
  delivered = true;
}

let browser;
let nestedUid = 0;
before(async () => {
  deliver();
  browser = await launch();
});
after(async () => {
  if (delivered && browser) {
    await withPage(browser, DESKTOP, 'reading-cleanup', async (page) => {
      await login(page);
      await pageApi(page, 'FolderDelete', { path: FOLDER });
    }).catch(() => {});
  }
  await browser?.close();
});

// ---- helpers -----------------------------------------------------------------------

async function login(page, hash) {
  await page.goto(BASE_URL + '/' + (hash || ''));
  await page.waitForSelector('#login-form');
  await page.fill('#login-email', USER);
  await page.fill('#login-password', PASS);
  await Promise.all([page.waitForNavigation(), page.click('#login-submit')]);
  // A phone shows an opened message instead of the list.
  await page.waitForSelector(hash ? '#message:not([hidden])' : '#list .row[data-uid]');
}

const folderHash = (uid, part) => '#/folder/' + encodeURIComponent(FOLDER) +
  (uid ? '?m=' + uid + (part ? '&part=' + part : '') : '');

async function uidOf(page, re) {
  const r = await pageApi(page, 'MessageList', { folder: FOLDER, limit: 50 });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const m = r.body.messages.find((x) => re.test(x.subject || ''));
  assert.ok(m, `message ${re} in ${FOLDER}`);
  return m.uid;
}

// The text of the body frame once the document of the open message loaded.
async function bodyText(page, part) {
  const sel = part ? `#msg-frame[src*="part=${part}"]` : '#msg-frame:not([src*="part="])';
  const handle = await page.waitForSelector(sel, { state: 'attached' });
  const frame = await handle.contentFrame();
  await frame.waitForLoadState('load');
  return frame.evaluate(() => document.body.innerText);
}

// Console errors of the app itself: Playwright's own probes into the
// sandboxed body frame are refused there ("Blocked script execution"),
// which is the point of the sandbox and not a problem of the page.
const appProblems = (problems) => problems.filter((p) => !/\/message\/|Content Security Policy|Refused to/.test(p));

const subjectIs = (page, s) => page.waitForFunction((want) =>
  document.getElementById('msg-subject').textContent === want &&
  !document.getElementById('message').classList.contains('is-loading'), s);

// ---- tests -----------------------------------------------------------------------

test('attached messages open in the message view, nested, with a way back and URLs of their own', async () => {
  assert.ok(delivered, 'PETREL_MAILSTACK_DIR is set and the test messages were delivered');
  await withPage(browser, DESKTOP, 'reading-attached', async (page, problems) => {
    await login(page);
    const fwd = await uidOf(page, /^Fwd: Invoice 4711$/);
    await page.evaluate((h) => { location.hash = h; }, folderHash(fwd));
    await subjectIs(page, 'Fwd: Invoice 4711');
    assert.match(await bodyText(page), /Forwarding this\./);
    assert.equal(await page.isHidden('#msg-parent'), true, 'no back bar on the message itself');

    // The attached mail is an attachment with a "View" action.
    const view = await page.waitForSelector('#msg-att-list a[data-view-part]');
    assert.equal(await view.getAttribute('data-view-part'), '2');
    assert.match(await view.textContent(), /Invoice 4711\.eml/);
    assert.match(await view.textContent(), /View/);
    assert.equal(await page.isVisible('#msg-att-list .att-dl'), true, 'it still downloads as .eml');
    await shot(page, 'reading-attached-list-desktop');
    const call = page.waitForResponse((r) => r.url().endsWith('/api/Message') &&
      JSON.parse(r.request().postData() || '{}').part === '2');
    await view.click();
    assert.equal((await call).status(), 200);
    await subjectIs(page, 'Invoice 4711');
    assert.match(page.url(), /\?m=\d+&part=2$/, 'the attached message has a URL of its own');
    assert.match(await page.textContent('.msg-from'), /Online Shop.*orders@shop\.example/);
    assert.match(await bodyText(page, '2'), /Your invoice\./);
    const sandbox = await page.getAttribute('#msg-frame', 'sandbox');
    assert.equal(sandbox, 'allow-popups allow-popups-to-escape-sandbox', 'the same sandboxed frame');
    const names = await page.$$eval('#msg-att-list .att-name', (n) => n.map((x) => x.textContent));
    assert.deepEqual(names, ['invoice-4711.pdf'], 'its own attachments');
    assert.match(await page.getAttribute('#msg-att-list .att-main', 'href'), /part=2\.2/);
    assert.equal(await page.isVisible('#msg-parent'), true);
    assert.match(await page.textContent('#msg-parent-back'), /Fwd: Invoice 4711/);
    // "Show all headers" shows the attached message's header.
    await page.click('#msg-more');
    assert.match(await page.getAttribute('#msg-source', 'href'), /&part=2$/);
    await page.click('#msg-headers-toggle');
    await page.waitForFunction(() => /Subject: Invoice 4711/.test(document.getElementById('msg-headers-list').textContent));
    await shot(page, 'reading-attached-desktop');

    // Back: the enclosing message again.
    await page.click('#msg-parent-back');
    await subjectIs(page, 'Fwd: Invoice 4711');
    assert.match(page.url(), new RegExp(`\\?m=${fwd}$`));
    assert.match(await bodyText(page), /Forwarding this\./);

    // Nested: outer -> middle -> inner, and back up one level at a time.
    const outer = nestedUid = await uidOf(page, /^E2E nested outer$/);
    await page.evaluate((h) => { location.hash = h; }, folderHash(outer));
    await subjectIs(page, 'E2E nested outer');
    await page.click('#msg-att-list a[data-view-part="2"]');
    await subjectIs(page, 'E2E nested middle');
    assert.match(await bodyText(page, '2'), /Middle text\./);
    await page.click('#msg-att-list a[data-view-part="2.2"]');
    await subjectIs(page, 'E2E nested inner ü');
    assert.match(page.url(), /&part=2\.2$/);
    assert.match(await page.textContent('.msg-from'), /Jürgen Groß/);
    assert.match(await bodyText(page, '2.2'), /Inner text\./);
    assert.match(await page.textContent('#msg-parent-back'), /E2E nested middle/);
    await page.click('#msg-parent-back');
    await subjectIs(page, 'E2E nested middle');
    assert.match(await page.textContent('#msg-parent-back'), /E2E nested outer/);
    // The browser's back button walks the same way.
    await page.goBack();
    await subjectIs(page, 'E2E nested inner ü');
    await page.goBack();
    await subjectIs(page, 'E2E nested middle');
    await page.goBack();
    await subjectIs(page, 'E2E nested outer');

    // Another message closes the attached one: no part in its URL.
    await page.evaluate((h) => { location.hash = h; }, folderHash(outer, '2'));
    await subjectIs(page, 'E2E nested middle');
    await page.click(`#msg-${fwd} .row-subject`);
    await subjectIs(page, 'Fwd: Invoice 4711');
    assert.match(page.url(), new RegExp(`\\?m=${fwd}$`));
    assert.deepEqual(appProblems(problems), []);
  });
});

test('an attached message opened by its URL after login, on a phone', async () => {
  assert.ok(delivered);
  await withPage(browser, PHONE, 'reading-attached-phone', async (page, problems) => {
    assert.ok(nestedUid, 'the first test found the nested message');
    await login(page, folderHash(nestedUid, '2.2'));
    await subjectIs(page, 'E2E nested inner ü');
    assert.match(await bodyText(page, '2.2'), /Inner text\./);
    // Opened directly: the way back leads to the message itself.
    assert.match(await page.textContent('#msg-parent-back'), /E2E nested outer/);
    await shot(page, 'reading-attached-phone');
    await page.click('#msg-parent-back');
    await subjectIs(page, 'E2E nested outer');
    assert.deepEqual(appProblems(problems), []);
  });
});

test('a long plain-text quote is folded in the sandboxed body and opens with a click', async () => {
  assert.ok(delivered);
  await withPage(browser, DESKTOP, 'reading-quote', async (page, problems) => {
    await login(page);
    const uid = await uidOf(page, /^E2E long quote$/);
    await page.evaluate((h) => { location.hash = h; }, folderHash(uid));
    await subjectIs(page, 'E2E long quote');
    const handle = await page.waitForSelector('#msg-frame', { state: 'attached' });
    const frame = await handle.contentFrame();
    await frame.waitForLoadState('load');
    await frame.waitForSelector('details.petrel-quote summary');
    assert.equal(await frame.textContent('details.petrel-quote summary'), 'Show quoted text (9 lines)');
    assert.equal(await frame.$eval('details.petrel-quote', (d) => d.open), false, 'folded at first');
    assert.equal(await frame.isVisible('text=Quoted line 5'), false, 'the quote is hidden');
    assert.equal(await frame.isVisible('text=My answer is above the quote.'), true);
    assert.equal(await frame.isVisible('text=Carol'), true, 'text after the quote shows');
    await shot(page, 'reading-quote-folded');
    // The frame runs no script: the click opens <details> by itself.
    await frame.click('details.petrel-quote summary');
    await frame.waitForFunction(() => document.querySelector('details.petrel-quote').open);
    assert.equal(await frame.isVisible('text=Quoted line 5'), true, 'the quote shows after the click');
    await shot(page, 'reading-quote-open');
    await frame.click('details.petrel-quote summary');
    await frame.waitForFunction(() => !document.querySelector('details.petrel-quote').open);
    assert.deepEqual(appProblems(problems), []);
  });
});

// Issue 14 finding 8, issue 17: Print opens /message/print (the headers and
// the sanitized body) as a page of its own, on the app's host; its CSP
// sandbox keeps it out of the app's origin there.
test('the Print link opens the print view top-level, readable and sandboxed', async () => {
  assert.ok(delivered);
  await withPage(browser, DESKTOP, 'reading-print', async (page, problems) => {
    await login(page);
    const uid = await uidOf(page, /^Fwd: Invoice 4711$/);
    await page.evaluate((h) => { location.hash = h; }, folderHash(uid));
    await subjectIs(page, 'Fwd: Invoice 4711');
    const href = await page.getAttribute('#msg-print', 'href');
    assert.match(href, /^\/message\/print\?/);
    const print = await page.context().newPage();
    try {
      const resp = await print.goto(new URL(href, page.url()).href);
      assert.equal(resp.status(), 200);
      assert.match(resp.headers()['content-security-policy'], /; sandbox allow-scripts allow-modals allow-popups allow-popups-to-escape-sandbox$/);
      assert.match(await print.evaluate(() => document.body.innerText), /Forwarding this\./);
      assert.equal(await print.evaluate(() => window.origin), 'null', 'an opaque origin, not the app');
      assert.equal(await print.evaluate(() => { try { return document.cookie; } catch (e) { return 'refused'; } }), 'refused',
        'no cookie access from the printed mail');
      await shot(print, 'reading-print');
    } finally {
      await print.close();
    }
    assert.deepEqual(appProblems(problems), []);
  });
});
