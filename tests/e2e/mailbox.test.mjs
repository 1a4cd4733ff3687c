// The mailbox screen in Chromium against the real stack (nginx + petrel +
// Dovecot with the demo corpus): sign in through the sign-in page, then
// folders, paging, sorting, search, drag and drop, read/unread, keyboard,
// the phone layout and sign-out.
//
//   PETREL_BASE_URL=http://127.0.0.1:8080 node --test mailbox.test.mjs
//
// For UI work without the C backend, tests/e2e/fake_api.mjs can stand in:
//   FAKE_SIGNED_OUT=1 node fake_api.mjs 8099 &
//   PETREL_BASE_URL=http://127.0.0.1:8099 node --test mailbox.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_URL, DESKTOP, launch, pageApi, PHONE, shot, withPage } from './lib.mjs';

const USER = process.env.PETREL_E2E_USER || 'alice@example.test';
const PASS = process.env.PETREL_E2E_PASS || 'alice-pass-1';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

// Resolves with the parsed request body of the next call to /api/<action>
// once its answer has arrived (and the UI had a moment to draw it).
function nextCall(page, action) {
  return page.waitForResponse((r) => r.url().endsWith('/api/' + action) && r.request().method() === 'POST')
    .then(async (r) => {
      const body = JSON.parse(r.request().postData() || '{}');
      const answer = await r.json().catch(() => ({}));
      await page.waitForTimeout(50);
      return { status: r.status(), body, answer };
    });
}

async function login(page) {
  await page.goto(BASE_URL + '/');
  await page.waitForSelector('#login-form');
  await page.fill('#login-email', USER);
  await page.fill('#login-password', PASS);
  const list = nextCall(page, 'MessageList');
  await Promise.all([page.waitForNavigation(), page.click('#login-submit')]);
  const first = await list;
  assert.equal(first.status, 200, 'the first message list loads');
  await page.waitForSelector('#list .row[data-uid]');
}

function rows(page) {
  return page.$$eval('#list .row[data-uid]:not([hidden])', (els) => els.map((e) => ({
    uid: Number(e.dataset.uid),
    from: e.querySelector('.row-from-name').textContent,
    email: e.querySelector('.row-from-name').title,
    subject: e.querySelector('.row-subject').textContent,
    unread: e.classList.contains('unread'),
    selected: e.getAttribute('aria-selected') === 'true',
  })));
}


// RFC 5256 base subject (Re:, Fw:, Fwd: and [blob] prefixes dropped),
// compared the way Dovecot's i;unicode-casemap does: case and accents folded.
// RFC 5256 base subject compared as Dovecot's i;unicode-casemap does:
// decomposed (combining marks kept, so "Ä" sorts after "AW"), title-cased.
function baseSubject(s) {
  let x = s.normalize('NFD').toUpperCase().trim();
  for (;;) {
    const y = x.replace(/^(RE|FWD?)(\[\d+\])?:\s*/, '').replace(/^\[[^\]]*\]\s*/, '').trim();
    if (y === x) return x;
    x = y;
  }
}

test('mailbox: folders, paging, sorting, search, drag and drop, flags, keyboard, sign-out', async () => {
  await withPage(browser, DESKTOP, 'mailbox-desktop', async (page, problems) => {
    await login(page);
    assert.match(page.url(), /#\/folder\/INBOX/);

    // Folders with their unread counts, the same as the API says.
    const api = await pageApi(page, 'Folders', {});
    assert.equal(api.status, 200);
    const inbox = api.body.folders.find((f) => f.special === 'inbox');
    assert.ok(inbox, 'the API lists an inbox');
    await page.waitForSelector('#folders li[data-path="INBOX"] a[aria-current="page"]');
    const pill = await page.$eval('#folders li[data-path="INBOX"]', (li) => li.querySelector('.pill')?.textContent || '0');
    assert.equal(Number(pill.replace(/\D/g, '')), inbox.unseen, 'inbox unread pill');
    for (const f of api.body.folders.filter((x) => x.special)) {
      assert.ok(await page.$(`#folders li[data-path="${f.path}"] .icon`), `special folder ${f.path} shown with an icon`);
    }
    assert.ok(inbox.total > 25, 'the demo inbox has more than one page');

    // First page, then page forward, then back with the browser.
    let list = await rows(page);
    assert.equal(list.length, 25);
    assert.match(await page.textContent('#pager-info'), /^1–25 of /);
    const firstPage = list.map((r) => r.uid);
    let call = nextCall(page, 'MessageList');
    await page.click('#page-next');
    assert.equal((await call).body.offset, 25);
    assert.match(page.url(), /page=2/);
    assert.match(await page.textContent('#pager-info'), /^26–50 of /);
    list = await rows(page);
    assert.ok(list.length > 0 && !list.some((r) => firstPage.includes(r.uid)), 'page 2 shows other messages');
    call = nextCall(page, 'MessageList');
    await page.goBack();
    assert.equal((await call).body.offset, 0);
    assert.deepEqual((await rows(page)).map((r) => r.uid), firstPage, 'back returns to page 1');

    // Sort by subject.
    call = nextCall(page, 'MessageList');
    await page.click('#sort-btn');
    await page.click('[data-sort-field="subject"]');
    assert.equal((await call).body.sort, 'subject');
    assert.match(page.url(), /sort=subject/);
    list = await rows(page);
    const subs = list.map((r) => baseSubject(r.subject));
    assert.ok(subs[0] <= subs[subs.length - 1], `ascending by subject: ${subs[0]} … ${subs[subs.length - 1]}`);
    assert.notDeepEqual(list.map((r) => r.uid), firstPage, 'the order changed');
    // Back to newest first.
    call = nextCall(page, 'MessageList');
    await page.click('#sort-btn');
    await page.click('[data-sort-field="date"]');
    assert.equal((await call).body.sort, '-date');

    // Search with the SnappyMail syntax.
    call = nextCall(page, 'MessageList');
    await page.press('body', '/');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'search-input');
    await page.keyboard.type('from:bob');
    await page.keyboard.press('Enter');
    assert.equal((await call).body.search, 'from:bob');
    list = await rows(page);
    assert.ok(list.length > 0, 'bob wrote something');
    for (const r of list) assert.match(`${r.from} ${r.email}`.toLowerCase(), /bob/);
    assert.equal(await page.isVisible('#search-chip'), true);
    call = nextCall(page, 'MessageList');
    await page.click('#search-chip-clear');
    assert.equal((await call).body.search, undefined);

    // Drag two selected messages onto a new folder.
    const target = 'E2E Moved ' + Date.now();
    const made = await pageApi(page, 'FolderCreate', { path: target });
    assert.equal(made.status, 200, JSON.stringify(made.body));
    call = nextCall(page, 'Folders');
    await page.click('[data-action="refresh"]');
    await call;
    const dropZone = `#folders li[data-path="${target}"]`;
    await page.waitForSelector(dropZone);
    list = await rows(page);
    const [a, b] = [list[1], list[2]];
    await page.click(`#msg-${a.uid} .row-subject`);
    await page.click(`#msg-${b.uid} .row-subject`, { modifiers: ['ControlOrMeta'] });
    assert.deepEqual((await rows(page)).filter((r) => r.selected).map((r) => r.uid), [a.uid, b.uid]);
    assert.match(await page.textContent('#preview-multi-title'), /2/);
    const totalOf = async () => Number((await page.textContent('#pager-info')).split(' of ')[1].replace(/\D/g, ''));
    const totalBefore = await totalOf();
    const moved = nextCall(page, 'MessageMove');
    await page.dragAndDrop(`#msg-${b.uid}`, dropZone);
    const mv = await moved;
    assert.equal(mv.status, 200);
    assert.deepEqual(mv.body.uids.slice().sort(), [a.uid, b.uid].sort());
    assert.equal(mv.body.to, target);
    await page.waitForFunction(([x, y]) => !document.getElementById('msg-' + x) && !document.getElementById('msg-' + y), [a.uid, b.uid]);
    await page.waitForSelector(`${dropZone} .folder-link`);
    await page.waitForTimeout(400);
    assert.equal(await totalOf(), totalBefore - 2, 'the pager total follows');
    assert.equal((await rows(page)).length, 25, 'the page is refilled');
    const there = await pageApi(page, 'MessageList', { folder: target });
    assert.equal(there.body.total, 2, 'both messages arrived');

    // Mark as unread and read; the counts follow.
    await page.waitForTimeout(300);
    list = await rows(page);
    const victim = list.find((r) => !r.unread) || list[0];
    await page.click(`#msg-${victim.uid} .row-subject`);
    const unseenBefore = (await pageApi(page, 'Folders', {})).body.folders.find((f) => f.path === 'INBOX').unseen;
    if (!victim.unread) {
      call = nextCall(page, 'MessageSetSeen');
      await page.click('#list-toolbar [data-action="unread"]');
      const c = await call;
      assert.equal(c.status, 200);
      assert.deepEqual(c.body, { folder: 'INBOX', uids: [victim.uid], value: false });
      await page.waitForSelector(`#msg-${victim.uid}.unread`);
      await page.waitForFunction((n) => {
        const p = document.querySelector('#folders li[data-path="INBOX"] .pill');
        return p && Number(p.textContent.replace(/\D/g, '')) === n;
      }, unseenBefore + 1);
    }
    call = nextCall(page, 'MessageSetSeen');
    await page.click('#list-toolbar [data-action="read"]');
    assert.equal((await call).body.value, true);
    await page.waitForSelector(`#msg-${victim.uid}:not(.unread)`);
    // u toggles it back.
    call = nextCall(page, 'MessageSetSeen');
    await page.keyboard.press('u');
    assert.equal((await call).body.value, false);
    await page.waitForSelector(`#msg-${victim.uid}.unread`);

    // Keyboard: j / k move the selection and the preview follows.
    list = await rows(page);
    await page.click(`#msg-${list[0].uid} .row-subject`);
    await page.keyboard.press('j');
    await page.keyboard.press('j');
    let sel = (await rows(page)).filter((r) => r.selected);
    assert.deepEqual(sel.map((r) => r.uid), [list[2].uid]);
    assert.equal(await page.textContent('#msg-subject'), list[2].subject);
    await page.keyboard.press('k');
    sel = (await rows(page)).filter((r) => r.selected);
    assert.deepEqual(sel.map((r) => r.uid), [list[1].uid]);
    assert.match(page.url(), new RegExp('m=' + list[1].uid));
    await page.keyboard.press('?');
    assert.equal(await page.isVisible('#help'), true);
    await page.keyboard.press('Escape');
    assert.equal(await page.isVisible('#help'), false);

    await shot(page, 'mailbox-desktop');

    // A reload keeps folder, page and open message from the URL.
    call = nextCall(page, 'MessageList');
    await page.reload();
    await call;
    await page.waitForSelector(`#msg-${list[1].uid}[aria-selected="true"]`);

    // Clean up the test folder, then sign out.
    await pageApi(page, 'FolderDelete', { path: target });
    await page.click('#user-btn');
    await Promise.all([page.waitForNavigation(), page.click('#logout')]);
    await page.waitForSelector('#login-form');
    await page.goto(BASE_URL + '/');
    await page.waitForSelector('#login-form');

    assert.deepEqual(problems, []);
  });
});

test('mailbox works one pane at a time on a phone', async () => {
  await withPage(browser, PHONE, 'mailbox-phone', async (page, problems) => {
    await login(page);
    const overflow = () => page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
    assert.equal(await overflow(), false, 'no horizontal scrolling');
    assert.equal(await page.isVisible('#sidebar .folder-link'), false, 'folders hidden in a drawer');
    const w = await page.$eval('#list-pane', (e) => e.getBoundingClientRect().width);
    assert.ok(w >= 380, `list is full width (${w})`);
    const h = await page.$eval('#list .row[data-uid]', (e) => e.getBoundingClientRect().height);
    assert.ok(h >= 56, `rows are touch-sized (${h})`);
    await shot(page, 'mailbox-phone-list');

    const list = await rows(page);
    await page.tap(`#msg-${list[0].uid} .row-subject`);
    await page.waitForSelector('#message:not([hidden])');
    assert.equal(await page.isVisible('#list-pane'), false, 'the message replaces the list');
    assert.equal(await page.textContent('#msg-subject'), list[0].subject);
    assert.equal(await overflow(), false);
    await shot(page, 'mailbox-phone-message');
    await page.tap('#message .msg-back');
    await page.waitForSelector('#list-pane', { state: 'visible' });

    await page.tap('#drawer-open');
    await page.waitForSelector('#sidebar .folder-link', { state: 'visible' });
    await page.waitForTimeout(300);
    await shot(page, 'mailbox-phone-drawer');
    const sent = await page.$eval('#folders', (ul) => {
      const a = [...ul.querySelectorAll('a.folder-link')].find((x) => !x.matches('[aria-current]'));
      return a ? a.closest('li').dataset.path : null;
    });
    assert.ok(sent, 'another folder to open');
    // The tapped folder's list is asked for (a live update may reload INBOX
    // in between: that call is not the one this waits for).
    const call = page.waitForRequest((r) => r.url().endsWith('/api/MessageList') &&
      JSON.parse(r.postData() || '{}').folder === sent);
    await page.tap(`#folders li[data-path="${sent}"] a`);
    assert.equal(JSON.parse((await call).postData()).folder, sent);
    await page.waitForSelector('#sidebar .folder-link', { state: 'hidden' });
    assert.deepEqual(problems, []);
  });
});

test('mailbox in the dark colour scheme', async () => {
  await withPage(browser, { ...DESKTOP, colorScheme: 'dark' }, 'mailbox-dark', async (page, problems) => {
    await login(page);
    const list = await rows(page);
    await page.click(`#msg-${list[0].uid} .row-subject`);
    const bg = await page.$eval('.list-pane', (e) => getComputedStyle(e).backgroundColor);
    assert.notEqual(bg, 'rgb(255, 255, 255)', 'panes follow the dark palette');
    await shot(page, 'mailbox-dark');
    assert.deepEqual(problems, []);
  });
});
