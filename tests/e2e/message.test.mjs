// The message view against the real stack (nginx + petrel + Dovecot):
// plain and HTML bodies in the sandboxed iframe, every hostile message of the
// fixtures and of the demo corpus opened with a local beacon listening (no
// script may run, nothing remote may load while images are blocked), "Show
// images", "Always show images from <sender>" kept on the server (and its
// "Stop"), "Show all headers", "Download all (.zip)", attachments with a
// Cyrillic name, the unread count dropping on open, j/k (also after a click
// into the body frame), the phone view with Escape, and a message URL opened
// directly.
//
// The test delivers its own messages into a fresh folder "E2E View <ts>"
// with tests/harness/mailstack.py fill-maildir (PETREL_MAILSTACK_DIR).
//
//   PETREL_BASE_URL=http://127.0.0.1:8080 PETREL_MAILSTACK_DIR=… node --test message.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BASE_URL, DESKTOP, PHONE, launch, pageApi, shot, withPage } from './lib.mjs';

const USER = process.env.PETREL_E2E_USER || 'alice@example.test';
const PASS = process.env.PETREL_E2E_PASS || 'alice-pass-1';
const STACK = process.env.PETREL_MAILSTACK_DIR;
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const FIXTURES = path.join(ROOT, 'tests/harness/fixtures');
const FOLDER = `E2E View ${Date.now()}`;
const BASE_ORIGIN = new URL(BASE_URL).origin;

// ---- the beacon: a local listener every hostile payload tries to reach ----

const hits = [];
let beacon;
let B;   // http://127.0.0.1:<port>/beacon

function startBeacon() {
  return new Promise((resolve) => {
    beacon = http.createServer((req, res) => {
      hits.push(req.url);
      res.writeHead(200, { 'Content-Type': 'image/gif', 'Access-Control-Allow-Origin': '*' });
      // A 1x1 GIF, so an <img> that is allowed to load does load.
      res.end(Buffer.from('R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==', 'base64'));
    });
    beacon.listen(0, '127.0.0.1', () => {
      B = `http://127.0.0.1:${beacon.address().port}/beacon`;
      resolve();
    });
  });
}
const kindOf = (url) => url.replace(/^\/beacon\/?/, '').split(/[/?]/)[0];

// Every hostile payload, each calling the beacon with its own name.
function beaconMail() {
  const html = `<html><head><title>beacon</title>
<meta http-equiv="refresh" content="0;url=${B}/meta-refresh">
<link rel="stylesheet" href="${B}/link-css">
<link rel="preconnect" href="${B}/preconnect">
<style>@import url("${B}/import-css"); body { background: url(${B}/css-bg); } .x { background-image: url('${B}/css-class-bg'); }</style>
<script src="${B}/script-src"></script>
<script>fetch('${B}/inline-script'); parent.document.title = 'PWNED'; alert('inline');</script>
<base href="${B}/base/">
</head><body onload="fetch('${B}/body-onload'); alert('onload')">
<h1>Beacon test</h1>
<p>Beacon visible text</p>
<img src="${B}/img-plain" width="120" height="40" alt="remote picture">
<img srcset="${B}/img-srcset 1x" width="120" height="40" alt="srcset picture">
<div class="x" style="background-image: url(${B}/style-attr)">styled</div>
<table background="${B}/table-bg"><tr><td>cell</td></tr></table>
<video poster="${B}/video-poster" src="${B}/video"></video><audio src="${B}/audio" autoplay></audio>
<!-- the payloads below also try to swallow what follows them (mXSS): keep them last -->
<img src="x" onerror="fetch('${B}/img-onerror'); top.document.title = 'PWNED'">
<svg onload="fetch('${B}/svg-onload')"><image href="${B}/svg-image"/><script>fetch('${B}/svg-script')</script></svg>
<math><mtext><table><mglyph><style><img src=x onerror="fetch('${B}/mxss-math')"></style></mglyph></table></mtext></math>
<noscript><p title="</noscript><img src=x onerror=fetch('${B}/mxss-noscript')>"></noscript>
<iframe src="${B}/iframe" srcdoc="<script>fetch('${B}/srcdoc')</script>"></iframe>
<object data="${B}/object"></object><embed src="${B}/embed">
<form action="${B}/form" method="post"><input type="image" src="${B}/input-image" alt="go"></form>
<a id="jslink" href="javascript:fetch('${B}/js-link')">js link</a>
</body></html>
`;
  return [
    'From: Beacon Sender <beacon@sender.example>',
    'To: Alice Martin <alice@example.test>',
    'Subject: E2E beacon hostile',
    'Date: Thu, 01 Jan 2026 10:00:00 +0000',
    'Message-ID: <e2e-beacon@sender.example>',
    'MIME-Version: 1.0',
    'Content-Type: text/html; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    html,
  ].join('\n');
}
// A second, harmless mail of the same sender: its picture loads only once the
// sender is on the user's "always show images" list. It also carries the
// Received headers (and a hostile one) for "Show all headers".
const BEACON_SENDER = 'beacon@sender.example';
function beaconSecondMail() {
  return [
    'Received: from mx.sender.example (mx.sender.example [192.0.2.25])',
    '\tby mail.example.test with ESMTPS id e2e-second; Thu, 01 Jan 2026 11:00:02 +0000',
    'Received: from [10.9.8.7] by mx.sender.example; Thu, 01 Jan 2026 11:00:01 +0000',
    'From: Beacon Sender <beacon@sender.example>',
    'To: Alice Martin <alice@example.test>',
    'Subject: E2E beacon second from the same sender',
    'Date: Thu, 01 Jan 2026 11:00:00 +0000',
    'Message-ID: <e2e-beacon-second@sender.example>',
    `X-E2E-Evil: <img src=x onerror="document.title='PWNED'"><b>bold</b>`,
    'MIME-Version: 1.0',
    'Content-Type: text/html; charset=utf-8',
    '',
    `<html><body><p>Second beacon text</p><img src="${B}/img-second" width="80" height="30" alt="second picture"></body></html>`,
    '',
  ].join('\n');
}
// Kinds that may arrive once the user asked for images: pictures only.
const IMAGE_KINDS = new Set(['img-second', 'img-plain', 'img-srcset', 'css-bg', 'css-class-bg', 'style-attr', 'table-bg', 'video-poster']);

// Copies of the hostile fixtures whose remote hosts point at the beacon, so
// whatever slips through is seen (and their alert()s would open dialogs).
function hostileFixtures() {
  return fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.eml')).filter((f) => {
    const head = fs.readFileSync(path.join(FIXTURES, f), 'utf8').split(/\r?\n\r?\n/)[0];
    return /^X-Petrel-Case:\s*(hostile|remote content)/im.test(head) || /hostile/i.test(f);
  });
}
function beaconCopy(file, i) {
  let s = fs.readFileSync(path.join(FIXTURES, file), 'utf8');
  s = s.replace(/(https?:)?\/\/([a-z0-9.-]*\.)?(evil|tracker|newsletter|bank-login)\.example/gi, `${B}/fx${i}-$3`);
  s = s.replace(/^Subject: .*$/m, `Subject: E2E hostile copy ${i} ${file}`);
  s = s.replace(/^Message-ID: .*$/m, `Message-ID: <e2e-hostile-${i}@example.test>`);
  return s;
}

// ---- the test folder ------------------------------------------------------------

let delivered = false;
function deliver() {
  if (!STACK) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'petrel-view-'));
  const files = ['01-plain-utf8.eml', '02-alternative.eml', '03-attachments-rfc2231.eml', '04-related-cid.eml',
    '19-calendar-invite.eml']
    .map((f) => path.join(FIXTURES, f));
  fs.writeFileSync(path.join(dir, 'beacon.eml'), beaconMail());
  files.push(path.join(dir, 'beacon.eml'));
  fs.writeFileSync(path.join(dir, 'beacon2.eml'), beaconSecondMail());
  files.push(path.join(dir, 'beacon2.eml'));
  hostileFixtures().forEach((f, i) => {
    const out = path.join(dir, `hostile-${i}.eml`);
    fs.writeFileSync(out, beaconCopy(f, i));
    files.push(out);
  });
  execFileSync('python3', [path.join(ROOT, 'tests/harness/mailstack.py'), 'fill-maildir', '--dir', STACK,
    '--user', USER, '--folder', FOLDER, ...files], { stdio: 'pipe' });
  fs.rmSync(dir, { recursive: true, force: true });
  delivered = true;
}

let browser;
before(async () => {
  await startBeacon();
  deliver();
  browser = await launch();
});
after(async () => {
  // Leave no test folder behind.
  if (delivered && browser) {
    await withPage(browser, DESKTOP, 'message-cleanup', async (page) => {
      await login(page);
      await pageApi(page, 'ImagesDisallow', { sender: BEACON_SENDER });
      await pageApi(page, 'FolderDelete', { path: FOLDER });
    }).catch(() => {});
  }
  await browser?.close();
  beacon?.close();
});

// ---- helpers -----------------------------------------------------------------------

async function login(page) {
  await page.goto(BASE_URL + '/');
  await page.waitForSelector('#login-form');
  await page.fill('#login-email', USER);
  await page.fill('#login-password', PASS);
  await Promise.all([page.waitForNavigation(), page.click('#login-submit')]);
  await page.waitForSelector('#list .row[data-uid]');
}

const hashFor = (folder, uid) => '#/folder/' + folder.split('/').map(encodeURIComponent).join('/') + (uid ? '?m=' + uid : '');

// Opens a message through its URL and resolves with the Message answer and
// the body frame once it has loaded.
async function openByHash(page, folder, uid) {
  const resp = page.waitForResponse((r) => r.url().endsWith('/api/Message') && r.request().method() === 'POST' &&
    JSON.parse(r.request().postData() || '{}').uid === uid);
  await page.evaluate((h) => { location.hash = h; }, hashFor(folder, uid));
  const r = await resp;
  const data = await r.json();
  assert.equal(r.status(), 200, `Message ${folder}/${uid}: ${JSON.stringify(data)}`);
  return { data, frame: await bodyFrame(page) };
}

async function bodyFrame(page, images) {
  const sel = images ? '#msg-frame[src*="images=1"]' : '#msg-frame';
  const handle = await page.waitForSelector(sel, { state: 'attached' });
  const frame = await handle.contentFrame();
  await frame.waitForLoadState('load');
  return frame;
}

async function folderUids(page, folder) {
  const r = await pageApi(page, 'MessageList', { folder, limit: 500 });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.messages;
}

// Requests leaving Petrel's origin from the page or its frames.
function watchRemote(page) {
  const remote = [];
  page.on('request', (r) => {
    const u = r.url();
    if (/^(data|blob|about):/.test(u)) return;
    if (new URL(u).origin !== BASE_ORIGIN) remote.push(u);
  });
  return remote;
}
// Console errors of the app itself (the body frame's own CSP reports about
// blocked hostile content are expected there and are not the app's).
const appProblems = (problems) => problems.filter((p) => !/\/message\/|Content Security Policy|Refused to/.test(p));

// ---- tests -----------------------------------------------------------------------

test('message view: plain text, HTML in the sandbox, attachments, unread count, keyboard, direct URL', async () => {
  assert.ok(delivered, 'PETREL_MAILSTACK_DIR is set and the test messages were delivered');
  await withPage(browser, DESKTOP, 'message-desktop', async (page, problems) => {
    await login(page);
    const list = await folderUids(page, FOLDER);
    const bySubject = (re) => {
      const m = list.find((x) => re.test(x.subject || ''));
      assert.ok(m, `message ${re} in ${FOLDER}`);
      return m;
    };
    const plain = bySubject(/Grüße aus München/);
    const alt = bySubject(/Meeting notes/);

    // The folder opens; its unread count drops by one when a row is opened,
    // without reloading the list.
    await page.evaluate((h) => { location.hash = h; }, hashFor(FOLDER));
    await page.waitForSelector(`#msg-${plain.uid}`);
    const pill = () => page.$eval(`#folders li[data-path="${FOLDER}"]`, (li) => Number((li.querySelector('.pill')?.textContent || '0').replace(/\D/g, '')));
    await page.waitForFunction((f) => !!document.querySelector(`#folders li[data-path="${f}"] .pill`), FOLDER);
    const unreadBefore = await pill();
    assert.ok(unreadBefore >= list.length - 1, `fresh messages are unread (${unreadBefore})`);
    let listCalls = 0;
    page.on('request', (r) => { if (r.url().endsWith('/api/MessageList')) listCalls++; });
    const msgCall = page.waitForResponse((r) => r.url().endsWith('/api/Message'));
    await page.click(`#msg-${plain.uid} .row-subject`);
    assert.equal((await msgCall).status(), 200);
    await page.waitForFunction((uid) => !document.getElementById('msg-' + uid).classList.contains('unread'), plain.uid);
    assert.equal(await pill(), unreadBefore - 1, 'the unread count dropped by one');
    assert.equal(listCalls, 0, 'no list reload for that');
    assert.match(page.url(), new RegExp(`\\?m=${plain.uid}$`), 'the URL names the open message');

    // Plain text: header from the API, the text in the sandboxed frame.
    assert.equal(await page.textContent('#msg-subject'), 'Grüße aus München');
    assert.match(await page.textContent('.msg-from'), /Alice Martin.*alice@example\.test/);
    assert.match(await page.textContent('#msg-rcpts'), /Bob Schneider/);
    const when = await page.$eval('#msg-date', (e) => e.getAttribute('datetime'));
    assert.equal(when, new Date('2025-10-06T07:15:00Z').toISOString());
    let frame = await bodyFrame(page);
    const handle = await page.$('#msg-frame');
    assert.equal(await handle.getAttribute('sandbox'), 'allow-popups allow-popups-to-escape-sandbox');
    assert.equal(await handle.getAttribute('referrerpolicy'), 'no-referrer');
    const plainText = await frame.evaluate(() => document.body.innerText);
    assert.match(plainText, /Grüße aus München! Ünïcödé ✓ 🐦/);
    assert.match(plainText, /Hallo Bob/);

    // The "more" menu: source and .eml download links.
    await page.click('#msg-more');
    const src = await page.getAttribute('#msg-source', 'href');
    assert.match(src, new RegExp(`^/message/raw\\?folder=${encodeURIComponent(FOLDER).replace(/[()]/g, '\\$&')}&uid=${plain.uid}$`));
    assert.equal(await page.getAttribute('#msg-eml', 'href'), src + '&download=1');
    const raw = await page.request.get(BASE_URL + src);
    assert.equal(raw.status(), 200);
    assert.match(await raw.text(), /Message-ID: <fx-plain-01@example\.test>/);
    await page.keyboard.press('Escape');

    // j opens the next message (one Message call), k goes back.
    await page.focus('#list');
    const order = await page.$$eval('#list .row[data-uid]', (r) => r.map((x) => Number(x.dataset.uid)));
    const next = order[order.indexOf(plain.uid) + 1];
    if (next) {
      const call = page.waitForResponse((r) => r.url().endsWith('/api/Message'));
      await page.keyboard.press('j');
      const body = JSON.parse((await call).request().postData());
      assert.equal(body.uid, next, 'j opened the next message');
      await page.waitForFunction((u) => location.hash.endsWith('m=' + u), next);
    }

    // HTML: rendered in the frame, formatting kept, links open outside.
    ({ frame } = await openByHash(page, FOLDER, alt.uid));
    assert.equal(await frame.evaluate(() => document.querySelector('h3')?.textContent), 'Notes');
    assert.equal(await frame.evaluate(() => document.querySelector('li b')?.textContent), 'ship');
    assert.equal(await page.textContent('#msg-subject'), 'Meeting notes from Tuesday');
    await shot(page, 'message-html-desktop');

    // Attachments with RFC 2231 / 2047 names: listed, inline PDF opens in a
    // tab, every one downloads.
    const withAtts = list.find((m) => /Отчёт и презентация/.test(m.subject || ''));
    assert.ok(withAtts, 'the attachments fixture is in the folder');
    const { data } = await openByHash(page, FOLDER, withAtts.uid);
    await page.waitForSelector('#msg-atts:not([hidden]) .att');
    const names = await page.$$eval('.att-name', (n) => n.map((x) => x.textContent));
    for (const want of ['Отчёт за 2024 год (финальная версия).pdf', 'Präsentation.pdf', 'report.pdf', '写真.png']) {
      assert.ok(names.includes(want), `attachment ${want} listed (${names.join(' | ')})`);
    }
    assert.equal(data.attachments.length >= 4, true);
    const cyr = await page.$('.att:has(.att-name:text-is("Отчёт за 2024 год (финальная версия).pdf"))');
    const inlineHref = await cyr.$eval('.att-main', (a) => a.getAttribute('href'));
    const dlHref = await cyr.$eval('.att-dl', (a) => a.getAttribute('href'));
    assert.doesNotMatch(inlineHref, /download=1/, 'a PDF opens inline');
    assert.equal(await cyr.$eval('.att-main', (a) => a.target), '_blank');
    assert.match(dlHref, /download=1/);
    const dl = await page.request.get(BASE_URL + dlHref);
    assert.equal(dl.status(), 200);
    assert.match(dl.headers()['content-disposition'] || '', /^attachment/i);
    assert.match(decodeURIComponent(dl.headers()['content-disposition'] || ''), /Отчёт за 2024 год/);
    await shot(page, 'message-attachments-desktop');

    // A text/calendar invitation gets a readable summary.
    const inv = bySubject(/^Invitation: Design review/);
    await openByHash(page, FOLDER, inv.uid);
    await page.waitForSelector('#msg-calendar:not([hidden])');
    assert.match(await page.textContent('#msg-calendar'), /Design review/);
    assert.match(await page.textContent('#msg-calendar'), /Invitation/);
    assert.match(await page.textContent('#msg-calendar'), /2025/, 'the start time is shown');
    await shot(page, 'message-calendar-desktop');

    // The message URL opened directly in a fresh tab of the signed-in session.
    const tab = await page.context().newPage();
    const direct = tab.waitForResponse((r) => r.url().endsWith('/api/Message'));
    await tab.goto(BASE_URL + '/' + hashFor(FOLDER, alt.uid));
    assert.equal((await direct).status(), 200);
    await tab.waitForSelector('#message:not([hidden]) #msg-frame');
    assert.equal(await tab.textContent('#msg-subject'), 'Meeting notes from Tuesday');
    const f2 = await bodyFrame(tab);
    assert.equal(await f2.evaluate(() => document.querySelector('h3')?.textContent), 'Notes');
    await tab.close();

    assert.deepEqual(appProblems(problems), []);
  });
});

test('hostile messages: no script runs, nothing remote loads until "Show images"', async () => {
  assert.ok(delivered, 'PETREL_MAILSTACK_DIR is set and the test messages were delivered');
  await withPage(browser, DESKTOP, 'message-hostile', async (page, problems) => {
    const dialogs = [];
    page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });
    const remote = watchRemote(page);
    await login(page);
    await pageApi(page, 'ImagesDisallow', { sender: BEACON_SENDER });
    const title0 = await page.title();

    const mine = await folderUids(page, FOLDER);
    const targets = mine.filter((m) => /hostile|beacon/i.test(m.subject || ''))
      .map((m) => ({ folder: FOLDER, uid: m.uid, subject: m.subject }));
    assert.ok(targets.length >= 2 + 1, `beacon mail and hostile fixture copies delivered (${targets.length})`);
    // The corpus' own hostile mails in the inbox.
    const corpus = await pageApi(page, 'MessageList', { folder: 'INBOX', search: 'from:bank-login.example', limit: 500 });
    assert.equal(corpus.status, 200);
    for (const m of corpus.body.messages) targets.push({ folder: 'INBOX', uid: m.uid, subject: m.subject });
    assert.ok(targets.length > 3, 'the inbox has hostile corpus messages');

    for (const t of targets) {
      const { data, frame } = await openByHash(page, t.folder, t.uid);
      await page.waitForTimeout(250);
      const text = await frame.evaluate(() => document.body ? document.body.innerText : '');
      if (/verify your account/i.test(t.subject)) assert.match(text, /Account notice/, `${t.subject}: visible text survives`);
      // The frame is sandboxed without scripts whatever the server sent.
      assert.equal(await page.getAttribute('#msg-frame', 'sandbox'), 'allow-popups allow-popups-to-escape-sandbox');
      assert.equal(typeof data.remoteBlocked, 'boolean');
    }
    await page.waitForTimeout(1500);
    assert.deepEqual(hits, [], 'no beacon request while images are blocked');
    assert.deepEqual(remote, [], 'no request left Petrel while images are blocked');
    assert.deepEqual(dialogs, [], 'no dialog opened');
    assert.doesNotMatch(await page.title(), /PWNED/);
    assert.equal((await page.title()).split(' · ').pop(), title0.split(' · ').pop(), 'the page title is the app\'s');

    // The beacon mail: the remote-content bar, then "Show images" loads
    // pictures and nothing else.
    const b = mine.find((m) => /E2E beacon hostile/.test(m.subject || ''));
    assert.ok(b, 'the beacon mail is in the folder');
    const { data } = await openByHash(page, FOLDER, b.uid);
    assert.equal(data.remoteBlocked, true, 'remote content was blocked');
    await page.waitForSelector('#msg-remote:not([hidden])');
    assert.match(await page.textContent('#msg-remote'), /Remote images were blocked/);
    assert.match(await page.textContent('#msg-always-images'), /beacon@sender\.example/);
    await shot(page, 'message-remote-blocked-desktop');
    assert.deepEqual(hits, []);
    await page.click('#msg-show-images');
    const shown = await bodyFrame(page, true);
    assert.equal(await page.isHidden('#msg-remote'), true, 'the bar goes away');
    await page.waitForFunction(() => true);
    for (let i = 0; i < 40 && !hits.some((h) => kindOf(h) === 'img-plain'); i++) await page.waitForTimeout(250);
    if (!hits.some((h) => kindOf(h) === 'img-plain')) {
      const html = await shown.evaluate(() => document.documentElement.outerHTML);
      assert.fail(`the remote picture loaded after "Show images" (hits: ${hits.join(', ')}; body: ${html.slice(0, 3000)})`);
    }
    await page.waitForTimeout(1000);
    const bad = hits.filter((h) => !IMAGE_KINDS.has(kindOf(h)));
    assert.deepEqual(bad, [], 'only pictures were fetched, no script, style sheet, frame or refresh');
    assert.match(await shown.evaluate(() => document.body.innerText), /Beacon visible text/);
    assert.deepEqual(dialogs, []);
    assert.doesNotMatch(await page.title(), /PWNED/);

    // "Always show images from <sender>": kept on the server (ImagesAllow),
    // the frame reloads with images and a quiet note offers "Stop".
    const other = mine.find((m) => m.uid !== b.uid && !/beacon/i.test(m.subject || ''));
    const second = mine.find((m) => /E2E beacon second/.test(m.subject || ''));
    assert.ok(second, 'the second mail of the beacon sender is in the folder');
    await openByHash(page, FOLDER, other.uid);
    await openByHash(page, FOLDER, b.uid);
    await page.waitForSelector('#msg-remote:not([hidden])');
    assert.equal(await page.isHidden('#msg-images-note'), true, 'no note before the sender is trusted');
    const allowCall = page.waitForResponse((r) => r.url().endsWith('/api/ImagesAllow'));
    const reloaded = page.waitForResponse((r) => r.url().endsWith('/api/Message') &&
      JSON.parse(r.request().postData() || '{}').uid === b.uid);
    await page.click('#msg-always-images');
    const allowResp = await allowCall;
    assert.equal(allowResp.status(), 200, 'ImagesAllow answered');
    assert.deepEqual(JSON.parse(allowResp.request().postData()), { sender: BEACON_SENDER });
    const again = await (await reloaded).json();
    assert.equal(again.imagesAllowedForSender, true, 'the message now says the sender is trusted');
    assert.equal(again.remoteBlocked, false);
    await page.waitForSelector('#msg-images-note:not([hidden])');
    assert.match(await page.textContent('#msg-images-note'), /Images from beacon@sender\.example are always shown/);
    assert.equal(await page.isHidden('#msg-remote'), true, 'the bar went away');
    await bodyFrame(page);
    const allowed = await pageApi(page, 'ImagesAllowed', {});
    assert.equal(allowed.status, 200);
    assert.ok(allowed.body.senders.map((x) => x.toLowerCase()).includes(BEACON_SENDER), 'the sender is on the server\'s list');
    assert.deepEqual(await page.evaluate(() => Object.keys(localStorage).filter((k) => /images/.test(k))), [],
      'nothing about images is kept in the browser');

    // The same sender's other message: no bar, its picture loads at once.
    assert.equal(hits.filter((h) => kindOf(h) === 'img-second').length, 0);
    const { data: secondData } = await openByHash(page, FOLDER, second.uid);
    assert.equal(secondData.imagesAllowedForSender, true);
    assert.equal(secondData.remoteBlocked, false);
    await page.waitForSelector('#msg-images-note:not([hidden])');
    assert.equal(await page.isHidden('#msg-remote'), true, 'no bar for a trusted sender');
    for (let i = 0; i < 40 && !hits.some((h) => kindOf(h) === 'img-second'); i++) await page.waitForTimeout(250);
    assert.ok(hits.some((h) => kindOf(h) === 'img-second'), `the trusted sender's picture loaded (hits: ${hits.join(', ')})`);
    await shot(page, 'message-images-note-desktop');

    // "Stop": ImagesDisallow, the frame reloads blocked, the bar is back.
    const disallowCall = page.waitForResponse((r) => r.url().endsWith('/api/ImagesDisallow'));
    await page.click('#msg-images-stop');
    const disResp = await disallowCall;
    assert.equal(disResp.status(), 200, 'ImagesDisallow answered');
    assert.deepEqual(JSON.parse(disResp.request().postData()), { sender: BEACON_SENDER });
    await page.waitForSelector('#msg-remote:not([hidden])');
    assert.equal(await page.isHidden('#msg-images-note'), true, 'the note went away');
    await bodyFrame(page);
    assert.doesNotMatch(await page.getAttribute('#msg-frame', 'src'), /images=1/);
    await openByHash(page, FOLDER, other.uid);
    const { data: blockedAgain } = await openByHash(page, FOLDER, b.uid);
    assert.equal(blockedAgain.remoteBlocked, true, 'blocked again after "Stop"');
    assert.notEqual(blockedAgain.imagesAllowedForSender, true);
    await page.waitForSelector('#msg-remote:not([hidden])');
    assert.equal(await page.isHidden('#msg-images-note'), true);
    assert.deepEqual(hits.filter((h) => !IMAGE_KINDS.has(kindOf(h))), []);
    assert.deepEqual(dialogs, []);

    const pageErrors = problems.filter((p) => p.startsWith('pageerror'));
    assert.deepEqual(pageErrors, []);
  });
});

// The names in a zip's central directory (enough to check an archive without
// an unzip library): the end record gives where the directory starts.
function zipNames(buf) {
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 65535); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) { eocd = i; break; }
  }
  assert.ok(eocd >= 0, 'the zip has an end of central directory record');
  const count = buf.readUInt16LE(eocd + 10);
  let at = buf.readUInt32LE(eocd + 16);
  const names = [];
  for (let n = 0; n < count; n++) {
    assert.equal(buf.readUInt32LE(at), 0x02014b50, `central directory entry ${n}`);
    const nameLen = buf.readUInt16LE(at + 28);
    const extraLen = buf.readUInt16LE(at + 30);
    const commentLen = buf.readUInt16LE(at + 32);
    names.push(buf.subarray(at + 46, at + 46 + nameLen).toString('utf8'));
    at += 46 + nameLen + extraLen + commentLen;
  }
  return names;
}

test('keyboard after a click into the body frame: j/k still work', async () => {
  assert.ok(delivered, 'PETREL_MAILSTACK_DIR is set and the test messages were delivered');
  await withPage(browser, DESKTOP, 'message-keys', async (page, problems) => {
    const dialogs = [];
    page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });
    await login(page);
    const list = await folderUids(page, FOLDER);
    const second = list.find((m) => /E2E beacon second/.test(m.subject || ''));
    const withAtts = list.find((m) => /Отчёт и презентация/.test(m.subject || ''));
    const plain = list.find((m) => /Grüße aus München/.test(m.subject || ''));
    assert.ok(second && withAtts && plain, 'the test messages are in the folder');
    await page.evaluate((h) => { location.hash = h; }, hashFor(FOLDER));
    await page.waitForSelector(`#msg-${plain.uid}`);

    await openByHash(page, FOLDER, plain.uid);
    // Keys keep working after a click into the (sandboxed, cross-origin)
    // body frame: the frame never keeps the focus.
    const frame = await bodyFrame(page);
    await frame.click('body');
    await page.waitForTimeout(150);
    assert.notEqual(await page.evaluate(() => document.activeElement && document.activeElement.id), 'msg-frame',
      'the focus came back from the frame');
    const order = await page.$$eval('#list .row[data-uid]', (r) => r.map((x) => Number(x.dataset.uid)));
    const idx = order.indexOf(plain.uid);
    const next = order[idx + 1] !== undefined ? order[idx + 1] : order[idx - 1];
    const keyDown = order[idx + 1] !== undefined ? 'j' : 'k';
    const keyBack = keyDown === 'j' ? 'k' : 'j';
    let call = page.waitForResponse((r) => r.url().endsWith('/api/Message'));
    await page.keyboard.press(keyDown);
    assert.equal(JSON.parse((await call).request().postData()).uid, next, `${keyDown} after a click into the frame opened the neighbour`);
    await page.waitForFunction((u) => location.hash.endsWith('m=' + u), next);
    const frame2 = await bodyFrame(page);
    await frame2.click('body');
    await page.waitForTimeout(150);
    call = page.waitForResponse((r) => r.url().endsWith('/api/Message'));
    await page.keyboard.press(keyBack);
    assert.equal(JSON.parse((await call).request().postData()).uid, plain.uid, `${keyBack} went back`);
    await page.waitForFunction((u) => location.hash.endsWith('m=' + u), plain.uid);

    assert.deepEqual(dialogs, []);
    assert.doesNotMatch(await page.title(), /PWNED/);
    assert.deepEqual(appProblems(problems), []);
  });
});

test('show all headers: every header as selectable text in a panel', async () => {
  assert.ok(delivered, 'PETREL_MAILSTACK_DIR is set and the test messages were delivered');
  await withPage(browser, DESKTOP, 'message-headers', async (page, problems) => {
    const dialogs = [];
    page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });
    await login(page);
    const list = await folderUids(page, FOLDER);
    const second = list.find((m) => /E2E beacon second/.test(m.subject || ''));
    const withAtts = list.find((m) => /Отчёт и презентация/.test(m.subject || ''));
    const plain = list.find((m) => /Grüße aus München/.test(m.subject || ''));
    assert.ok(second && withAtts && plain, 'the test messages are in the folder');
    await page.evaluate((h) => { location.hash = h; }, hashFor(FOLDER));
    await page.waitForSelector(`#msg-${plain.uid}`);

    // "Show all headers" from the "⋯" menu: every header as text.
    await openByHash(page, FOLDER, second.uid);
    await page.click('#msg-more');
    const hdrCall = page.waitForResponse((r) => r.url().endsWith('/api/MessageHeaders'));
    await page.click('#msg-headers-toggle');
    const hdrResp = await hdrCall;
    assert.equal(hdrResp.status(), 200, 'MessageHeaders answered');
    assert.deepEqual(JSON.parse(hdrResp.request().postData()), { folder: FOLDER, uid: second.uid });
    await page.waitForSelector('#msg-headers:not([hidden]) #msg-headers-list .hdr');
    const panel = await page.textContent('#msg-headers-list');
    assert.match(panel, /Message-ID: <e2e-beacon-second@sender\.example>/);
    assert.match(panel, /Received: from mx\.sender\.example/);
    assert.match(panel, /Received: from \[10\.9\.8\.7\]/);
    assert.equal((panel.match(/^Received:/gm) || []).length, 2, 'both Received headers');
    assert.match(panel, /X-E2E-Evil: <img src=x onerror=/, 'a hostile header is shown as text');
    assert.equal(await page.$$eval('#msg-headers-list img, #msg-headers-list b', (n) => n.length), 0, 'and never as markup');
    assert.equal(await page.getAttribute('#msg-headers-toggle', 'aria-checked'), 'true');
    const style = await page.$eval('#msg-headers-list', (e) => {
      const cs = getComputedStyle(e);
      return { font: cs.fontFamily, overflow: cs.overflowY, select: cs.userSelect };
    });
    assert.match(style.font, /mono/i, 'monospace');
    assert.equal(style.overflow, 'auto', 'scrolls on its own');
    assert.notEqual(style.select, 'none', 'selectable');
    await shot(page, 'message-headers-desktop');
    await page.click('#msg-headers-close');
    assert.equal(await page.isHidden('#msg-headers'), true, 'the close button hides the panel');
    // The toggle opens and closes it too.
    await page.click('#msg-more');
    await page.click('#msg-headers-toggle');
    await page.waitForSelector('#msg-headers:not([hidden]) .hdr');
    await page.click('#msg-more');
    await page.click('#msg-headers-toggle');
    assert.equal(await page.isHidden('#msg-headers'), true, 'the menu entry toggles it off');

    assert.deepEqual(dialogs, []);
    assert.doesNotMatch(await page.title(), /PWNED/);
    assert.deepEqual(appProblems(problems), []);
  });
});

test('download all attachments as one .zip', async () => {
  assert.ok(delivered, 'PETREL_MAILSTACK_DIR is set and the test messages were delivered');
  await withPage(browser, DESKTOP, 'message-zip', async (page, problems) => {
    const dialogs = [];
    page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });
    await login(page);
    const list = await folderUids(page, FOLDER);
    const second = list.find((m) => /E2E beacon second/.test(m.subject || ''));
    const withAtts = list.find((m) => /Отчёт и презентация/.test(m.subject || ''));
    const plain = list.find((m) => /Grüße aus München/.test(m.subject || ''));
    assert.ok(second && withAtts && plain, 'the test messages are in the folder');
    await page.evaluate((h) => { location.hash = h; }, hashFor(FOLDER));
    await page.waitForSelector(`#msg-${plain.uid}`);

    // "Download all (.zip)" with two or more attachments.
    await openByHash(page, FOLDER, withAtts.uid);
    await page.waitForSelector('#msg-atts:not([hidden]) .att');
    await page.waitForSelector('#msg-att-zip:not([hidden])');
    const zipHref = await page.getAttribute('#msg-att-zip', 'href');
    assert.equal(zipHref, `/message/zip?folder=${encodeURIComponent(FOLDER)}&uid=${withAtts.uid}`);
    const head = await page.request.get(BASE_URL + zipHref);
    assert.equal(head.status(), 200, `GET /message/zip answered (${head.status()})`);
    assert.match(head.headers()['content-type'] || '', /zip/);
    assert.match(head.headers()['content-disposition'] || '', /^attachment/i);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#msg-att-zip')]);
    const zipFile = await download.path();
    assert.ok(zipFile, `the zip downloaded (${await download.failure()})`);
    const zip = fs.readFileSync(zipFile);
    assert.equal(zip.subarray(0, 2).toString('latin1'), 'PK', 'a zip file');
    const inZip = zipNames(zip);
    for (const want of ['Отчёт за 2024 год (финальная версия).pdf', 'Präsentation.pdf', 'report.pdf', '写真.png']) {
      assert.ok(inZip.some((n) => n.normalize('NFC').endsWith(want.normalize('NFC'))), `${want} in the zip (${inZip.join(' | ')})`);
    }
    await shot(page, 'message-zip-desktop');
    // One message without attachments: no zip link shown.
    await openByHash(page, FOLDER, plain.uid);
    assert.equal(await page.isHidden('#msg-att-zip'), true);

    assert.deepEqual(dialogs, []);
    assert.doesNotMatch(await page.title(), /PWNED/);
    assert.deepEqual(appProblems(problems), []);
  });
});

test('phone screenshots: the headers panel and the images note', async () => {
  assert.ok(delivered, 'PETREL_MAILSTACK_DIR is set and the test messages were delivered');
  // Phone screenshots of the headers panel and of the images note.
  await withPage(browser, PHONE, 'message-extras-phone', async (page, problems) => {
    await login(page);
    const list = await folderUids(page, FOLDER);
    const second = list.find((m) => /E2E beacon second/.test(m.subject || ''));
    await page.evaluate((h) => { location.hash = h; }, hashFor(FOLDER));
    await page.waitForSelector(`#msg-${second.uid}`);
    assert.equal((await pageApi(page, 'ImagesAllow', { sender: BEACON_SENDER })).status, 200);
    try {
      await page.click(`#msg-${second.uid} .row-subject`);
      await page.waitForSelector('#app[data-view="preview"] #msg-frame');
      await bodyFrame(page);
      await page.waitForSelector('#msg-images-note:not([hidden])');
      await page.screenshot({ path: await shotPath('message-images-note-phone') });
      await page.click('#msg-more');
      await page.click('#msg-headers-toggle');
      await page.waitForSelector('#msg-headers:not([hidden]) .hdr');
      assert.match(await page.textContent('#msg-headers-list'), /Message-ID:/);
      await page.screenshot({ path: await shotPath('message-headers-phone') });
    } finally {
      await pageApi(page, 'ImagesDisallow', { sender: BEACON_SENDER });
    }
    assert.deepEqual(appProblems(problems), []);
  });
});

test('message view on a phone: full screen, Escape goes back; light and dark screenshots', async () => {
  assert.ok(delivered, 'PETREL_MAILSTACK_DIR is set and the test messages were delivered');
  for (const scheme of ['light', 'dark']) {
    await withPage(browser, { ...PHONE, colorScheme: scheme }, `message-phone-${scheme}`, async (page, problems) => {
      await login(page);
      const list = await folderUids(page, FOLDER);
      const alt = list.find((m) => /Meeting notes/.test(m.subject || ''));
      const atts = list.find((m) => /Отчёт и презентация/.test(m.subject || ''));
      await page.evaluate((h) => { location.hash = h; }, hashFor(FOLDER));
      await page.waitForSelector(`#msg-${alt.uid}`);
      await page.click(`#msg-${alt.uid} .row-subject`);
      await page.waitForSelector('#app[data-view="preview"] #msg-frame');
      await bodyFrame(page);
      assert.equal(await page.isVisible('#list-pane'), false, 'the message fills the screen');
      assert.equal(await page.isVisible('.msg-back'), true);
      await page.screenshot({ path: await shotPath(`message-phone-${scheme}`) });
      await page.keyboard.press('Escape');
      await page.waitForSelector('#app[data-view="list"]');
      assert.doesNotMatch(page.url(), /m=/);
      if (atts) {
        await openByHash(page, FOLDER, atts.uid);
        await page.waitForSelector('#msg-atts:not([hidden])');
        await page.screenshot({ path: await shotPath(`message-phone-attachments-${scheme}`) });
      }
      assert.deepEqual(appProblems(problems), []);
    });
    await withPage(browser, { ...DESKTOP, colorScheme: scheme }, `message-desktop-${scheme}`, async (page) => {
      await login(page);
      const list = await folderUids(page, FOLDER);
      const b = list.find((m) => /E2E beacon hostile/.test(m.subject || '')) || list[0];
      await page.evaluate((h) => { location.hash = h; }, hashFor(FOLDER));
      await openByHash(page, FOLDER, b.uid);
      await page.waitForTimeout(200);
      await page.screenshot({ path: await shotPath(`message-desktop-${scheme}`) });
      const atts = list.find((m) => /Отчёт и презентация/.test(m.subject || ''));
      if (atts) {
        await openByHash(page, FOLDER, atts.uid);
        await page.waitForTimeout(200);
        await page.screenshot({ path: await shotPath(`message-desktop-attachments-${scheme}`) });
      }
    });
  }
});

async function shotPath(name) {
  const { ARTIFACTS } = await import('./lib.mjs');
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  return path.join(ARTIFACTS, `${name}.png`);
}
