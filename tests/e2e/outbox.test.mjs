// Undo send and send later (issue 17) against the real stack, as alice:
//  - Send with an undo window: a toast counts down; after a reload the
//    toast is back (the hold is the server's); Undo reopens compose with
//    the same recipients, subject, text and attachment; nothing reaches bob;
//  - Send later → "Tomorrow morning": the message appears in the sidebar's
//    Scheduled list (shown only while something waits) with its time;
//    Cancel sending empties it and the entry goes away again;
//  - the toast, the time menu and the list on a desktop and a phone, light
//    and dark (screenshots in PETREL_E2E_ARTIFACTS).
//
//   PETREL_BASE_URL=http://127.0.0.1:8080 node --test outbox.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_URL, DESKTOP, PHONE, launch, pageApi, shot, withPage } from './lib.mjs';

const ALICE = ['alice@example.test', 'alice-pass-1'];
const RUN = Date.now().toString(36);

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function login(page, [user, pass], settings) {
  await page.goto(BASE_URL + '/');
  await page.waitForSelector('#login-form');
  await page.fill('#login-email', user);
  await page.fill('#login-password', pass);
  await Promise.all([page.waitForNavigation(), page.click('#login-submit')]);
  await page.waitForSelector('#list');
  await page.waitForFunction(() => window.Petrel && window.PetrelCompose && window.Petrel.outbox);
  await page.evaluate(async (s) => {
    const r = await window.Petrel.api('SettingsSave', s, { quiet: true });
    window.Petrel.applyPrefs(r.settings);
  }, Object.assign({ undoSeconds: 30, theme: 'light' }, settings || {}));
  // Whatever an earlier failed run left waiting goes first.
  const left = await pageApi(page, 'Scheduled', {});
  for (const j of left.body.jobs) await pageApi(page, 'SendCancel', { id: j.id });
  await page.evaluate(() => window.Petrel.outbox.refresh());
}

async function compose(page, subject, text) {
  await page.click(await page.isVisible('#compose') ? '#compose' : '#compose-fab');
  await page.waitForSelector('.compose #compose-to');
  await page.waitForSelector('.compose #compose-from option', { state: 'attached' });
  await page.fill('#compose-to', 'Bob Example <bob@example.test>');
  await page.press('#compose-to', 'Enter');
  await page.fill('#compose-subject', subject);
  if (await page.isVisible('.compose-text')) {
    await page.fill('.compose-text', text);
  } else {
    await page.click('.compose-html');
    await page.keyboard.type(text);
  }
}

const real = (problems) => problems.filter((p) => !/\/api\/SendCancel/.test(p));

for (const [name, opts, theme] of [['desktop', DESKTOP, 'light'], ['phone', PHONE, 'dark']]) {
  test(`undo send on a ${name} (${theme}): the toast survives a reload, Undo reopens the same form`, async () => {
    const subject = `Outbox e2e undo ${name} ${RUN}`;
    await withPage(browser, opts, `outbox-undo-${name}`, async (page, problems) => {
      await login(page, ALICE, { theme });
      await compose(page, subject, 'First line\nSecond line');
      // An attachment, to come back as an upload of its own.
      await page.setInputFiles('.compose input[type=file]', {
        name: 'plan.txt', mimeType: 'text/plain', buffer: Buffer.from('the plan\n'),
      });
      await page.waitForSelector('.compose-att:not(:has(progress))');
      const sendResp = page.waitForResponse((r) => r.url().endsWith('/api/Send'));
      await page.click('.compose-send');
      const r = await sendResp;
      const out = await r.json();
      assert.equal(r.status(), 200, JSON.stringify(out));
      assert.equal(out.state, 'held');
      assert.equal(JSON.parse(r.request().postData()).undoSeconds, 30);
      await page.waitForSelector('.compose', { state: 'detached' });
      await page.waitForSelector('.toast-undo');
      assert.match(await page.textContent('.toast-undo .toast-text'), /Sending in \d+ s/);
      await shot(page, `outbox-undo-toast-${name}-${theme}`);

      // The hold is the server's: after a reload the toast is back.
      await page.reload();
      await page.waitForFunction(() => window.Petrel && window.Petrel.outbox);
      await page.waitForSelector(`.toast-undo[data-job="${out.id}"]`);
      // The sidebar entry is there (on a phone, inside the closed drawer).
      await page.waitForFunction(() => { const b = document.getElementById('nav-scheduled'); return b && !b.parentNode.hidden; });

      await page.click(`.toast-undo[data-job="${out.id}"] .toast-action`);
      await page.waitForSelector('.compose #compose-to');
      await page.waitForFunction((s) => document.getElementById('compose-subject').value === s, subject);
      const chips = await page.locator('.compose .chip').allTextContents();
      assert.ok(chips.some((c) => c.includes('bob@example.test') || c.includes('Bob Example')), chips.join('|'));
      const body = await page.evaluate(() => {
        const tx = document.querySelector('.compose-text');
        return tx && !tx.hidden ? tx.value : document.querySelector('.compose-html').innerText;
      });
      assert.match(body, /First line\s+Second line/);
      assert.match(await page.textContent('.compose-att-name'), /plan\.txt/);
      await shot(page, `outbox-undo-reopened-${name}-${theme}`);
      const left = await pageApi(page, 'Scheduled', {});
      assert.deepEqual(left.body.jobs.filter((j) => j.id === out.id), []);
      // Sent again from the reopened window, now without a hold.
      await page.evaluate(() => { window.Petrel.prefs().undoSeconds = 0; });
      const again = page.waitForResponse((x) => x.url().endsWith('/api/Send'));
      await page.click('.compose-send');
      const a = await (await again).json();
      assert.ok(a.messageId, JSON.stringify(a));
      assert.equal(JSON.parse((await again).request().postData()).attachments.length, 1);
      assert.deepEqual(real(problems), []);
    });
  });

  test(`send later on a ${name} (${theme}): listed in Scheduled, then edited (desktop) or cancelled (phone)`, async () => {
    const subject = `Outbox e2e later ${name} ${RUN}`;
    await withPage(browser, opts, `outbox-later-${name}`, async (page, problems) => {
      await login(page, ALICE, { theme });
      assert.equal(await page.isVisible('#nav-scheduled'), false);
      await compose(page, subject, 'See you tomorrow');
      await page.click('.compose-later');
      await page.waitForSelector('.outbox-menu');
      await shot(page, `outbox-later-menu-${name}-${theme}`);
      const sendResp = page.waitForResponse((r) => r.url().endsWith('/api/Send'));
      await page.click('.outbox-menu .menu-item:has-text("Tomorrow morning")');
      const r = await sendResp;
      const out = await r.json();
      assert.equal(r.status(), 200, JSON.stringify(out));
      assert.equal(out.state, 'scheduled');
      const sent = JSON.parse(r.request().postData());
      assert.equal(sent.sendAt, out.due);
      assert.ok(out.due > Date.now() / 1000 + 3600, String(out.due));
      assert.equal(sent.undoSeconds, undefined);
      await page.waitForSelector('.toast:has-text("Scheduled for")');

      if (name === 'phone') {
        await page.click('#drawer-open');
      }
      await page.waitForSelector('#nav-scheduled:visible');
      assert.equal((await page.textContent('#nav-scheduled .outbox-count')).trim(), '1');
      await page.click('#nav-scheduled');
      await page.waitForSelector(`.outbox-row[data-job="${out.id}"]`);
      assert.match(await page.textContent(`.outbox-row[data-job="${out.id}"]`), new RegExp(subject));
      assert.match(await page.textContent(`.outbox-row[data-job="${out.id}"]`), /Scheduled for/);
      await shot(page, `outbox-scheduled-list-${name}-${theme}`);
      assert.equal(await page.evaluate(() => location.hash), '#/scheduled');
      if (name === 'desktop') {
        // A route of its own: Back closes the list, Forward and a reload
        // open it again.
        await page.goBack();
        await page.waitForSelector('.outbox-dialog', { state: 'detached' });
        assert.notEqual(await page.evaluate(() => location.hash), '#/scheduled');
        await page.goForward();
        await page.waitForSelector(`.outbox-row[data-job="${out.id}"]`);
        await page.reload();
        await page.waitForSelector(`.outbox-row[data-job="${out.id}"]`);
        await page.waitForSelector('#list .row');
        // Edit: taken back and reopened with its time kept: Send
        // (labelled Schedule) schedules it again for the same moment.
        await page.click(`.outbox-row[data-job="${out.id}"] .outbox-edit`);
        await page.waitForFunction((s) => document.getElementById('compose-subject')?.value === s, subject);
        await page.waitForSelector('.compose-scheduled:not([hidden])');
        assert.match(await page.textContent('.compose-scheduled'), /Scheduled for/);
        assert.equal((await page.textContent('.compose-send-label')).trim(), 'Schedule');
        await page.waitForTimeout(300); // the window's fade-in
        await shot(page, `outbox-edit-scheduled-${theme}`);
        const again = page.waitForResponse((r) => r.url().endsWith('/api/Send'));
        await page.click('.compose-send');
        const r2 = await again;
        const out2 = await r2.json();
        assert.equal(r2.status(), 200, JSON.stringify(out2));
        assert.equal(out2.state, 'scheduled');
        assert.equal(out2.due, out.due);
        await page.waitForSelector('.compose', { state: 'detached' });
        await page.waitForSelector('#nav-scheduled:visible');
        await page.click('#nav-scheduled');
        await page.click(`.outbox-row[data-job="${out2.id}"] .outbox-cancel`);
        await page.waitForSelector('.outbox-empty');
      } else {
        await page.click(`.outbox-row[data-job="${out.id}"] .outbox-cancel`);
        await page.waitForSelector('.outbox-empty');
      }
      await page.waitForSelector('#nav-scheduled', { state: 'hidden' });
      const left = await pageApi(page, 'Scheduled', {});
      assert.deepEqual(left.body.jobs, []);
      assert.deepEqual(real(problems), []);
    });
  });
}

test('a custom date and time is read in the time zone of the settings', async () => {
  await withPage(browser, DESKTOP, 'outbox-custom', async (page, problems) => {
    await login(page, ALICE, { timeZone: 'Asia/Tokyo' });
    // 30 days ahead, 09:30 in Tokyo (UTC+9, no summer time) = 00:30 UTC.
    const day = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Tokyo', year: 'numeric', month: '2-digit', day: '2-digit' })
      .format(new Date(Date.now() + 30 * 86400e3));
    const [y, m, d] = day.split('-').map(Number);
    await compose(page, `Outbox e2e custom ${RUN}`, 'x');
    await page.click('.compose-later');
    await page.click('.outbox-menu .menu-item:has-text("Pick date and time")');
    await page.waitForSelector('#outbox-pick-at');
    assert.match(await page.textContent('.outbox-pick'), /Asia\/Tokyo/);
    await page.fill('#outbox-pick-at', `${day}T09:30`);
    await shot(page, 'outbox-pick-desktop-light');
    const sendResp = page.waitForResponse((r) => r.url().endsWith('/api/Send'));
    await page.click('.outbox-pick button[type=submit]');
    const r = await sendResp;
    const out = await r.json();
    assert.equal(r.status(), 200, JSON.stringify(out));
    assert.equal(out.due, Date.UTC(y, m - 1, d, 0, 30) / 1000);
    assert.equal((await pageApi(page, 'SendCancel', { id: out.id })).status, 200);
    await pageApi(page, 'SettingsSave', { timeZone: null, undoSeconds: null, theme: null });
    assert.deepEqual(real(problems), []);
  });
});

// The same views in the other theme of each size: desktop dark, phone light.
for (const [name, opts, theme] of [['desktop', DESKTOP, 'dark'], ['phone', PHONE, 'light']]) {
  test(`the toast, the time menu and the list on a ${name} (${theme})`, async () => {
    await withPage(browser, opts, `outbox-look-${name}`, async (page, problems) => {
      await login(page, ALICE, { theme });
      await compose(page, `Outbox e2e look ${name} ${RUN}`, 'x');
      await page.click('.compose-later');
      await page.waitForSelector('.outbox-menu');
      await shot(page, `outbox-later-menu-${name}-${theme}`);
      await page.keyboard.press('Escape');
      await page.waitForSelector('.outbox-menu', { state: 'detached' });
      await page.click('.compose-send');
      await page.waitForSelector('.toast-undo');
      await shot(page, `outbox-undo-toast-${name}-${theme}`);
      await page.evaluate(() => window.Petrel.outbox.open());
      await page.waitForSelector('.outbox-row');
      assert.match(await page.textContent('.outbox-row'), /Sending in \d+ s/);
      await shot(page, `outbox-scheduled-list-${name}-${theme}`);
      await page.click('.outbox-row .outbox-cancel');
      await page.waitForSelector('.outbox-empty');
      assert.deepEqual((await pageApi(page, 'Scheduled', {})).body.jobs, []);
      await pageApi(page, 'SettingsSave', { undoSeconds: null, theme: null });
      assert.deepEqual(real(problems), []);
    });
  });
}

test('a recipient the server refuses: the toast says so, Scheduled keeps the message to edit', async () => {
  const subject = `Outbox e2e refused ${RUN}`;
  await withPage(browser, DESKTOP, 'outbox-refused', async (page, problems) => {
    await login(page, ALICE, { undoSeconds: 5 });
    await page.click('#compose');
    await page.waitForSelector('.compose #compose-from option', { state: 'attached' });
    await page.fill('#compose-to', 'nobody@example.test');
    await page.press('#compose-to', 'Enter');
    await page.fill('#compose-subject', subject);
    await page.click('.compose-send');
    await page.waitForSelector('.toast-undo');
    // Postfix's words, once the worker tried at the end of the window.
    await page.waitForSelector('.toast-undo.error', { timeout: 30000 });
    assert.match(await page.textContent('.toast-undo.error'), /Not sent: .*User unknown/);
    await page.waitForSelector('#nav-scheduled .outbox-count-failed');
    await page.click('#nav-scheduled');
    await page.waitForSelector('.outbox-row.is-failed');
    assert.match(await page.textContent('.outbox-row.is-failed'), /RCPT TO <nobody@example\.test>/);
    await shot(page, 'outbox-failed-desktop-light');
    // Edit: the form comes back as it was, the job leaves the list.
    await page.click('.outbox-row.is-failed .outbox-edit');
    await page.waitForFunction((s) => document.getElementById('compose-subject')?.value === s, subject);
    assert.deepEqual((await pageApi(page, 'Scheduled', {})).body.jobs, []);
    await pageApi(page, 'SettingsSave', { undoSeconds: null, theme: null });
    assert.deepEqual(real(problems), []);
  });
});
