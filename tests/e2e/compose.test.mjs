// The compose window against the real stack (nginx + petrel + Postfix +
// Dovecot), as alice:
//  - the page's own helpers: address splitting/parsing/checking, HTML to
//    plain text;
//  - a new message to bob with an attachment, uploaded with a visible
//    progress bar (the upload is throttled through the DevTools protocol),
//    sent, then found in Sent and opened; bob has it, attachment included;
//  - a reply to a message bob sent: bob's copy carries In-Reply-To and
//    References naming the original's Message-ID (read with MessageHeaders
//    in bob's own session);
//  - formatted text in Squire (bold, a list) under the page's CSP, at bob as
//    HTML with a text/plain alternative;
//  - identities made in the dialog, their signature put in, deleted again;
//    recent recipients suggested; closing with changes asks;
//  - minimising saves a draft ("Draft saved hh:mm"); the draft opens again
//    from Drafts with its recipients, subject and text;
//  - an invalid address is flagged before anything is sent;
//  - a recipient Postfix refuses: the server's reason is shown and the
//    window stays open with everything kept.
//
// The original for the reply is written into alice's INBOX with
// tests/harness/mailstack.py fill-maildir (PETREL_MAILSTACK_DIR).
//
//   PETREL_BASE_URL=http://127.0.0.1:8080 PETREL_MAILSTACK_DIR=… node --test compose.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BASE_URL, DESKTOP, launch, pageApi, shot, withPage } from './lib.mjs';

const ALICE = ['alice@example.test', 'alice-pass-1'];
const BOB = ['bob@example.test', 'bob-pass-2'];
const STACK = process.env.PETREL_MAILSTACK_DIR;
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const RUN = Date.now().toString(36);
const ORIGINAL_ID = `<e2e-compose-${RUN}@example.test>`;
const ORIGINAL_SUBJECT = `Compose e2e original ${RUN}`;

let browser;
before(async () => {
  assert.ok(STACK, 'PETREL_MAILSTACK_DIR must name the running mail stack');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'petrel-compose-'));
  const eml = path.join(dir, 'original.eml');
  fs.writeFileSync(eml, [
    'From: Bob Example <bob@example.test>',
    'To: Alice Example <alice@example.test>',
    `Subject: ${ORIGINAL_SUBJECT}`,
    `Date: ${new Date().toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: ${ORIGINAL_ID}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Hello Alice,',
    'can you answer this one?',
    'Bob',
    '',
  ].join('\r\n'));
  execFileSync('python3', [path.join(ROOT, 'tests/harness/mailstack.py'), 'fill-maildir', '--dir', STACK,
    '--user', ALICE[0], '--folder', 'INBOX', eml], { stdio: 'pipe' });
  fs.rmSync(dir, { recursive: true, force: true });
  browser = await launch();
});
after(async () => { await browser?.close(); });

// ---- helpers -----------------------------------------------------------------------


async function login(page, [user, pass]) {
  await page.goto(BASE_URL + '/');
  await page.waitForSelector('#login-form');
  await page.fill('#login-email', user);
  await page.fill('#login-password', pass);
  await Promise.all([page.waitForNavigation(), page.click('#login-submit')]);
  await page.waitForSelector('#list .row[data-uid], #list .empty-state, #list');
  await page.waitForFunction(() => window.Petrel && window.PetrelCompose);
  // These tests are about the immediate Send: no undo window (issue 17's
  // undo send and send later are in outbox.test.mjs).
  await page.evaluate(async () => {
    const r = await window.Petrel.api('SettingsSave', { undoSeconds: 0 }, { quiet: true });
    window.Petrel.applyPrefs(r.settings);
  });
}

async function folderOf(page, special) {
  const r = await pageApi(page, 'Folders', {});
  const f = r.body.folders.find((x) => x.special === special);
  assert.ok(f, `no ${special} folder in ${JSON.stringify(r.body.folders.map((x) => x.path))}`);
  return f.path;
}

// The newest message in folder whose subject is subject, polling while
// delivery (Postfix → LMTP) catches up.
async function findBySubject(page, folder, subject, timeoutMs = 30000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const r = await pageApi(page, 'MessageList', { folder, offset: 0, limit: 50, sort: '-date' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const m = r.body.messages.find((x) => x.subject === subject);
    if (m) return m;
    if (Date.now() > end) assert.fail(`"${subject}" did not arrive in ${folder}`);
    await new Promise((res) => setTimeout(res, 500));
  }
}

const header = (headers, name) => headers.filter((h) => h.name.toLowerCase() === name.toLowerCase()).map((h) => h.value);

// Bob's own session, in its own browser context.
async function asBob(fn) {
  const ctx = await browser.newContext(DESKTOP);
  const page = await ctx.newPage();
  try {
    await login(page, BOB);
    return await fn(page);
  } finally {
    await ctx.close();
  }
}

async function openCompose(page) {
  await page.click('#compose');
  await page.waitForSelector('.compose #compose-to');
  // Identities answered: the From picker has its options.
  await page.waitForSelector('.compose #compose-from option', { state: 'attached' });
}

async function addRecipient(page, field, addr) {
  await page.fill(`#compose-${field}`, addr);
  await page.press(`#compose-${field}`, 'Enter');
}

// Problems a test may expect: the 502 of a refused recipient.
const real = (problems, allowed) => problems.filter((p) => !(allowed && allowed.test(p)));

// ---- tests -----------------------------------------------------------------------------

test('address parsing and HTML to plain text in the page', async () => {
  await withPage(browser, DESKTOP, 'compose-helpers', async (page, problems) => {
    await login(page, ALICE);
    const out = await page.evaluate(() => {
      const h = window.PetrelCompose._text;
      return {
        split: h.splitAddresses('"Doe, Jane" <jane@example.test>; bob@example.test,\n<carol@example.org>'),
        parsed: h.parseAddress('"Doe, Jane \\"JD\\"" <jane@example.test>'),
        valid: ['bob@example.test', 'имя@пример.рф', 'bob@@example', 'bob', 'bob@exa mple.test', 'a@b.', '@b.test'].map(h.validEmail),
        text: h.htmlToText('<div>Hi <b>Bob</b>,</div><ul><li>one</li><li>two</li></ul><ol><li>first</li></ol>' +
          '<p>See <a href="https://example.test/x">the page</a>.</p><blockquote><div>quoted</div><blockquote>deeper</blockquote></blockquote>' +
          '<div>--\u00a0</div><div>Alice</div><script>alert(1)</script>'),
      };
    });
    assert.deepEqual(out.split, ['"Doe, Jane" <jane@example.test>', 'bob@example.test', '<carol@example.org>']);
    assert.deepEqual(out.parsed, { name: 'Doe, Jane "JD"', email: 'jane@example.test' });
    assert.deepEqual(out.valid, [true, true, false, false, false, false, false]);
    // DIV lines (what Squire writes) one a line, a paragraph with an empty line after it.
    assert.equal(out.text, 'Hi Bob,\n- one\n- two\n1. first\nSee the page <https://example.test/x>.\n\n> quoted\n> > deeper\n-- \nAlice');
    assert.deepEqual(real(problems), []);
  });
});

test('a new message with an attachment: progress bar, sent, in Sent, at bob', async () => {
  const subject = `Compose e2e attachment ${RUN}`;
  const attName = `Отчёт ${RUN}.bin`;
  const bytes = Buffer.alloc(3 * 1048576, 7);
  await withPage(browser, DESKTOP, 'compose-attachment', async (page, problems) => {
    await login(page, ALICE);
    await openCompose(page);
    await addRecipient(page, 'to', 'Bob Example <bob@example.test>');
    await page.fill('#compose-subject', subject);
    await page.fill('.compose-text', 'Numbers attached.\n\nAlice');

    // Slow the upload down so that the bar is seen moving.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false, latency: 20, downloadThroughput: -1, uploadThroughput: 1024 * 1024,
    });
    const uploaded = page.waitForResponse((r) => r.url().endsWith('/api/Upload'), { timeout: 60000 });
    await page.setInputFiles('.compose input[type=file]', { name: attName, mimeType: 'application/octet-stream', buffer: bytes });
    const bar = page.locator('.compose-att.is-uploading progress');
    await bar.waitFor({ state: 'visible' });
    await page.waitForFunction(() => {
      const p = document.querySelector('.compose-att.is-uploading progress');
      return p && p.value > 0 && p.value < 100;
    }, null, { timeout: 20000 });
    await shot(page, 'compose-upload-progress');
    const up = await uploaded;
    assert.equal(up.status(), 200, await up.text());
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    await page.waitForSelector('.compose-att:not(.is-uploading) .compose-att-name');
    assert.equal(await page.textContent('.compose-att .compose-att-name'), attName);
    assert.equal(await page.locator('.compose-att progress').count(), 0);

    let sends = 0;
    page.on('request', (q) => { if (q.url().endsWith('/api/Send')) sends++; });
    const sendResp = page.waitForResponse((r) => r.url().endsWith('/api/Send'));
    // A double click sends once.
    await page.evaluate(() => { const b = document.querySelector('.compose-send'); b.click(); b.click(); });
    assert.equal(await page.isDisabled('.compose-send'), true);
    const r = await sendResp;
    const out = await r.json();
    assert.equal(r.status(), 200, JSON.stringify(out));
    assert.ok(out.messageId && out.sentUid, JSON.stringify(out));
    assert.equal(out.sentSaved, true, JSON.stringify(out));
    const sent = JSON.parse(r.request().postData());
    assert.match(sent.sendToken, /^[0-9a-f]{32}$/);
    assert.deepEqual(sent.to, ['Bob Example <bob@example.test>']);
    assert.equal(sent.attachments.length, 1);
    await page.waitForSelector('.compose', { state: 'detached' });
    await page.waitForSelector('.toast:not(.error)');
    assert.equal(sends, 1);

    // In Sent: the row, and the message with its attachment.
    const sentPath = await folderOf(page, 'sent');
    await page.evaluate((h) => { location.hash = h; }, '#/folder/' + sentPath.split('/').map(encodeURIComponent).join('/'));
    const row = page.locator('#list .row', { hasText: subject }).first();
    await row.waitFor({ timeout: 15000 });
    await row.click();
    await page.waitForSelector('#message:not([hidden])');
    await page.waitForFunction((s) => document.getElementById('msg-subject').textContent === s, subject);
    await page.waitForSelector('#msg-att-list li');
    assert.match(await page.textContent('#msg-att-list'), new RegExp(attName));
    await shot(page, 'compose-sent-open');
    assert.deepEqual(real(problems), []);
  });

  await asBob(async (page) => {
    const m = await findBySubject(page, 'INBOX', subject);
    const full = await pageApi(page, 'Message', { folder: 'INBOX', uid: m.uid });
    assert.equal(full.status, 200, JSON.stringify(full.body));
    assert.equal(full.body.attachments.length, 1);
    assert.equal(full.body.attachments[0].name, attName);
    // The bytes themselves, as bob downloads them.
    const got = await page.evaluate(async (url) => {
      const r = await fetch(url, { credentials: 'same-origin' });
      const b = new Uint8Array(await r.arrayBuffer());
      return { status: r.status, length: b.length, allSevens: b.every((x) => x === 7) };
    }, full.body.attachments[0].url);
    assert.deepEqual(got, { status: 200, length: bytes.length, allSevens: true });
    assert.match(full.body.text, /Numbers attached\./);
  });
});

test('a reply carries In-Reply-To and References to the recipient', async () => {
  const subject = `Re: ${ORIGINAL_SUBJECT}`;
  await withPage(browser, DESKTOP, 'compose-reply', async (page, problems) => {
    await login(page, ALICE);
    const orig = await findBySubject(page, 'INBOX', ORIGINAL_SUBJECT);
    await page.evaluate((uid) => { location.hash = '#/folder/INBOX?m=' + uid; }, orig.uid);
    await page.waitForSelector('#message:not([hidden])');
    await page.waitForFunction((s) => document.getElementById('msg-subject').textContent === s, ORIGINAL_SUBJECT);
    const from = page.waitForResponse((r) => r.url().endsWith('/api/ComposeFrom'));
    await page.click('#message [data-compose="reply"]');
    assert.equal((await from).status(), 200);
    await page.waitForSelector('.compose .chip');
    assert.equal(await page.inputValue('#compose-subject'), subject);
    assert.equal(await page.getAttribute('.compose-row-to .chip', 'data-email'), 'bob@example.test');
    // The cursor is at the top, above the quote.
    const body = await page.inputValue('.compose-text').catch(() => null);
    if (body !== null && await page.isVisible('.compose-text')) {
      assert.match(body, /> can you answer this one\?/);
      assert.equal(await page.evaluate(() => document.activeElement.classList.contains('compose-text') && document.activeElement.selectionStart), 0);
      await page.keyboard.type('Yes, here is my answer.');
    } else {
      await page.waitForSelector('.compose-html blockquote');
      await page.keyboard.type('Yes, here is my answer.');
    }
    await shot(page, 'compose-reply');
    const sendResp = page.waitForResponse((r) => r.url().endsWith('/api/Send'));
    await page.click('.compose-send');
    const r = await sendResp;
    assert.equal(r.status(), 200, await r.text());
    const sent = JSON.parse(r.request().postData());
    assert.deepEqual(sent.inReplyTo, { folder: 'INBOX', uid: orig.uid });
    await page.waitForSelector('.compose', { state: 'detached' });
    assert.deepEqual(real(problems), []);
  });

  await asBob(async (page) => {
    const m = await findBySubject(page, 'INBOX', subject);
    const h = await pageApi(page, 'MessageHeaders', { folder: 'INBOX', uid: m.uid });
    assert.equal(h.status, 200, JSON.stringify(h.body));
    assert.deepEqual(header(h.body.headers, 'In-Reply-To').map((v) => v.trim()), [ORIGINAL_ID]);
    const refs = header(h.body.headers, 'References').join(' ');
    assert.ok(refs.includes(ORIGINAL_ID), `References: ${refs}`);
    const full = await pageApi(page, 'Message', { folder: 'INBOX', uid: m.uid });
    assert.match(full.body.text, /^Yes, here is my answer\./);
  });
});

test('formatted (HTML) text: Squire under the CSP, bold and a list reach bob with a plain alternative', async () => {
  const subject = `Compose e2e html ${RUN}`;
  await withPage(browser, DESKTOP, 'compose-html', async (page, problems) => {
    await login(page, ALICE);
    await openCompose(page);
    await addRecipient(page, 'to', 'bob@example.test');
    await page.fill('#compose-subject', subject);
    if (await page.isVisible('.compose-text')) {
      await page.fill('.compose-text', '');
      await page.click('.compose-mode');
    }
    await page.waitForSelector('.compose-html:not([hidden])');
    await page.click('.compose-html');
    await page.keyboard.press('Control+Home');
    await page.click('[data-fmt="bold"]');
    await page.keyboard.type('Important');
    await page.keyboard.press('Enter');
    // Squire carries bold onto the new line, as word processors do: off again.
    assert.equal(await page.getAttribute('[data-fmt="bold"]', 'aria-pressed'), 'true');
    await page.click('[data-fmt="bold"]');
    await page.click('[data-fmt="ul"]');
    await page.keyboard.type('first point');
    assert.equal(await page.getAttribute('[data-fmt="ul"]', 'aria-pressed'), 'true');
    assert.equal(await page.locator('.compose-html b, .compose-html strong').first().textContent(), 'Important');
    await shot(page, 'compose-html');
    const sendResp = page.waitForResponse((r) => r.url().endsWith('/api/Send'));
    await page.click('.compose-send');
    const r = await sendResp;
    assert.equal(r.status(), 200, await r.text());
    const sent = JSON.parse(r.request().postData());
    assert.match(sent.html, /<b>Important<\/b>/);
    assert.match(sent.html, /<ul><li>first point/);
    assert.match(sent.text, /^Important\n- first point/);
    await page.waitForSelector('.compose', { state: 'detached' });
    assert.deepEqual(real(problems), []);
  });

  await asBob(async (page) => {
    const m = await findBySubject(page, 'INBOX', subject);
    const full = await pageApi(page, 'Message', { folder: 'INBOX', uid: m.uid });
    assert.equal(full.status, 200, JSON.stringify(full.body));
    assert.match(full.body.html, /<b>Important<\/b>/);
    assert.match(full.body.html, /<li>first point/);
    // The plain alternative next to the HTML, in the raw message.
    const raw = await page.evaluate(async (uid) => {
      const r = await fetch(`/message/raw?folder=INBOX&uid=${uid}`, { credentials: 'same-origin' });
      return r.text();
    }, m.uid);
    assert.match(raw, /multipart\/alternative/i);
    const plain = raw.split(/\r?\n--/).find((p) => /^Content-Type: text\/plain/im.test(p));
    assert.ok(plain, raw);
    assert.match(plain, /Important/);
    assert.match(plain, /- first point/);
  });
});

test('identities: made, used for the signature, deleted; recent recipients are suggested', async () => {
  const sig = `Work signature ${RUN}`;
  await withPage(browser, DESKTOP, 'compose-identities', async (page, problems) => {
    await login(page, ALICE);
    await openCompose(page);
    // bob got mail from alice in an earlier test: he is a recent recipient.
    await page.fill('#compose-to', 'bob@exa');
    await page.waitForSelector('.suggest:not([hidden]) .suggest-item');
    assert.match(await page.textContent('.suggest'), /bob@example\.test/);
    await page.keyboard.press('Enter');
    assert.equal(await page.getAttribute('.compose-row-to .chip', 'data-email'), 'bob@example.test');

    await page.click('.compose-ids');
    await page.waitForSelector('.ids-dialog .ids-item');
    await page.click('.ids-add');
    await page.fill('#ids-name', `Alice at work ${RUN}`);
    await page.fill('#ids-email', 'alice@example.test');
    await page.fill('#ids-signature', sig);
    const saved = page.waitForResponse((r) => r.url().endsWith('/api/IdentitySave'));
    await page.click('.ids-dialog .btn-primary');
    assert.equal((await saved).status(), 200);
    // (The synthesized login identity may give way to the stored one: count names, not rows.)
    await page.locator('.ids-item', { hasText: `Alice at work ${RUN}` }).waitFor();
    await shot(page, 'compose-identities');
    await page.keyboard.press('Escape');
    await page.waitForSelector('.ids-dialog', { state: 'detached' });

    const label = `Alice at work ${RUN} <alice@example.test>`;
    await page.selectOption('#compose-from', { label });
    assert.ok((await page.inputValue('.compose-text')).includes('-- \n' + sig));

    // Deleted again: gone from the dialog and from the picker.
    await page.click('.compose-ids');
    await page.locator('.ids-item', { hasText: `Alice at work ${RUN}` }).click();
    const del = page.waitForResponse((r) => r.url().endsWith('/api/IdentityDelete'));
    await page.click('.ids-dialog .compose-danger');
    assert.equal((await del).status(), 200);
    await page.locator('.ids-item', { hasText: `Alice at work ${RUN}` }).waitFor({ state: 'detached' });
    assert.ok(await page.locator('.ids-item').count() >= 1);
    await page.keyboard.press('Escape');
    assert.equal(await page.locator('#compose-from option', { hasText: `Alice at work ${RUN}` }).count(), 0);

    // Unsaved changes: closing asks, and discarding sends nothing.
    await page.click('.compose-close');
    await page.waitForSelector('.compose-overlay');
    await page.click('.compose-overlay .compose-danger');
    await page.waitForSelector('.compose', { state: 'detached' });
    assert.deepEqual(real(problems), []);
  });
});

test('minimising saves a draft that opens again from Drafts', async () => {
  const subject = `Compose e2e draft ${RUN}`;
  await withPage(browser, DESKTOP, 'compose-draft', async (page, problems) => {
    await login(page, ALICE);
    await openCompose(page);
    await addRecipient(page, 'to', 'carol@example.org');
    await page.fill('#compose-subject', subject);
    await page.fill('.compose-text', 'Half-written thoughts.');
    const saved = page.waitForResponse((r) => r.url().endsWith('/api/SaveDraft'));
    await page.click('.compose-min');
    const r = await saved;
    const out = await r.json();
    assert.equal(r.status(), 200, JSON.stringify(out));
    assert.ok(out.draftUid > 0);
    await page.waitForFunction(() => /\d\d:\d\d/.test(document.querySelector('.compose-status').textContent));
    assert.ok(await page.locator('.compose.minimised').isVisible());
    await shot(page, 'compose-minimised');

    // Saved, so closing asks nothing.
    await page.click('.compose-close');
    await page.waitForSelector('.compose', { state: 'detached' });

    const drafts = await folderOf(page, 'drafts');
    await page.evaluate((h) => { location.hash = h; }, '#/folder/' + drafts.split('/').map(encodeURIComponent).join('/'));
    const row = page.locator('#list .row', { hasText: subject }).first();
    await row.waitFor({ timeout: 15000 });
    const from = page.waitForResponse((x) => x.url().endsWith('/api/ComposeFrom'));
    await row.click();
    const f = await from;
    assert.equal(f.status(), 200);
    assert.equal(JSON.parse(f.request().postData()).mode, 'editAsNew');
    await page.waitForSelector('.compose .chip');
    assert.equal(await page.inputValue('#compose-subject'), subject);
    assert.equal(await page.getAttribute('.compose-row-to .chip', 'data-email'), 'carol@example.org');
    assert.match(await page.inputValue('.compose-text'), /Half-written thoughts\./);

    // Discarding the reopened draft leaves it where it was.
    await page.click('.compose-close');
    await page.waitForSelector('.compose', { state: 'detached' });
    const list = await pageApi(page, 'MessageList', { folder: drafts, offset: 0, limit: 50, sort: '-date' });
    const mine = list.body.messages.filter((m) => m.subject === subject);
    assert.equal(mine.length, 1, 'one draft, the previous version replaced');
    await pageApi(page, 'MessageDelete', { folder: drafts, uids: mine.map((m) => m.uid) });
    assert.deepEqual(real(problems), []);
  });
});

test('an invalid address is flagged and nothing is sent', async () => {
  await withPage(browser, DESKTOP, 'compose-invalid', async (page, problems) => {
    await login(page, ALICE);
    let sends = 0;
    page.on('request', (q) => { if (q.url().endsWith('/api/Send')) sends++; });
    await openCompose(page);
    await addRecipient(page, 'to', 'bob@example.test');
    await addRecipient(page, 'to', 'bob@@example');
    const bad = page.locator('.compose-row-to .chip-invalid');
    assert.equal(await bad.count(), 1);
    assert.equal(await bad.getAttribute('aria-invalid'), 'true');
    assert.equal(await bad.getAttribute('data-email'), 'bob@@example');
    assert.equal(await page.locator('.compose-row-to .chip:not(.chip-invalid)').count(), 1);
    await page.fill('#compose-subject', 'never sent');
    await page.click('.compose-send');
    await page.waitForSelector('.compose-error:not([hidden])');
    assert.match(await page.textContent('.compose-error'), /bob@@example/);
    assert.equal(sends, 0);
    await shot(page, 'compose-invalid');
    // Removing it lets the rest stand.
    await page.click('.compose-row-to .chip-invalid .chip-x');
    assert.equal(await page.locator('.compose-row-to .chip-invalid').count(), 0);
    assert.deepEqual(real(problems), []);
  });
});

test('sent, but the Sent copy failed: the toast says so', async () => {
  await withPage(browser, DESKTOP, 'compose-not-saved', async (page, problems) => {
    await login(page, ALICE);
    // The server side is tests/integration/cutpoints (an APPEND cut off);
    // here only what the page makes of its answer.
    await page.route('**/api/Send', (route) => route.fulfill({
      status: 200,
      contentType: 'application/json',
      body: JSON.stringify({ messageId: '<x@example.test>', sentUid: null, sentSaved: false }),
    }));
    await openCompose(page);
    await addRecipient(page, 'to', 'bob@example.test');
    await page.fill('#compose-subject', 'copy not saved');
    await page.click('.compose-send');
    await page.waitForSelector('.compose', { state: 'detached' });
    const toast = page.locator('.toast.error');
    await toast.waitFor();
    assert.match(await toast.textContent(), /Sent folder/);
    await shot(page, 'compose-not-saved');
    assert.deepEqual(real(problems), []);
  });
});

test('a refused recipient shows the server\'s reason and keeps the window', async () => {
  const subject = `Compose e2e refused ${RUN}`;
  await withPage(browser, DESKTOP, 'compose-refused', async (page, problems) => {
    await login(page, ALICE);
    await openCompose(page);
    // A local domain of the stack, but no such mailbox: Postfix says 550.
    await addRecipient(page, 'to', 'nobody-here@example.test');
    await page.fill('#compose-subject', subject);
    await page.fill('.compose-text', 'Will this arrive?');
    const sendResp = page.waitForResponse((r) => r.url().endsWith('/api/Send'));
    await page.click('.compose-send');
    const r = await sendResp;
    const out = await r.json();
    assert.equal(r.status(), 502, JSON.stringify(out));
    assert.equal(out.error.code, 'smtp_rejected');
    await page.waitForSelector('.compose-error:not([hidden])');
    const shown = await page.textContent('.compose-error-text');
    assert.equal(shown, out.error.message);
    // Postfix's own words for a mailbox it does not have.
    assert.match(shown, /unknown/i);
    // Everything kept, and the send can be tried again.
    assert.equal(await page.inputValue('#compose-subject'), subject);
    assert.equal(await page.inputValue('.compose-text'), 'Will this arrive?');
    assert.equal(await page.getAttribute('.compose-row-to .chip', 'data-email'), 'nobody-here@example.test');
    assert.equal(await page.isEnabled('.compose-send'), true);
    await shot(page, 'compose-refused');
    assert.deepEqual(real(problems, /http 502: .*\/api\/Send$|status of 502/), []);
  });
});
