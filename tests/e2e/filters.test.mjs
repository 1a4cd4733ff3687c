// Filters (issue #6) against the real stack: a rule made in the editor
// (From contains X → move to a new folder, mark as read) really files a
// message that Postfix delivers through LMTP + Sieve; the vacation reply
// switch is saved; raw mode shows the server's CHECKSCRIPT error next to
// the line it names, or is absent when the domain does not allow it.
// Needs sieve_use = On for the test domain (tests/harness/webstack.py).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BASE_URL, DESKTOP, launch, login, PHONE, shot, withPage } from './lib.mjs';

const STACK = process.env.PETREL_MAILSTACK_DIR;
const TOKEN = `flt${Date.now().toString(36)}`;
let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

function stack() {
  return JSON.parse(fs.readFileSync(path.join(STACK, 'mailstack.json'), 'utf8'));
}
// Bob: the live-update test sends him mail from carol, so the rule
// below matches only this test's token, never carol's address.
function bob() { return stack().users.find((u) => u.email === 'bob@example.test'); }


async function boot(page) {
  return page.evaluate(() => JSON.parse(document.body.dataset.petrel).filters || null);
}

// Every call to the API the page made that answered an error, for the
// assertion messages.
function apiErrors(page) {
  const seen = [];
  page.on('response', async (r) => {
    if (!r.url().includes('/api/Filters') || r.status() < 400) return;
    seen.push(`${r.url().split('/api/')[1]} ${r.status()} ${await r.text().catch(() => '')}`);
  });
  return seen;
}

// Ask the API (through the page's own helper, with its CSRF token) until
// the folder holds a message with this subject.
async function waitForMessage(page, folder, subject, ms) {
  const end = Date.now() + ms;
  for (;;) {
    const found = await page.evaluate(async ([f, s]) => {
      try {
        // Sieve makes the folder when the first message arrives: asking
        // for a folder that is not there yet would answer 404.
        const list = await window.Petrel.api('Folders', {}, { quiet: true });
        if (!(list.folders || []).some((x) => x.path === f)) return null;
        const d = await window.Petrel.api('MessageList', { folder: f, limit: 50 }, { quiet: true });
        return (d.messages || []).find((m) => m.subject === s) || null;
      } catch (e) { return null; }
    }, [folder, subject]);
    if (found) return found;
    if (Date.now() > end) return null;
    await page.waitForTimeout(500);
  }
}

test('a rule made in the editor files matching mail into a new folder, read', async () => {
  const user = bob();
  const info = stack();
  const folder = `Filtered-${TOKEN}`;
  const subject = `Filter me ${TOKEN}`;
  await withPage(browser, DESKTOP, 'filters-rule', async (page, problems) => {
    const errors = apiErrors(page);
    await login(page, user);
    const conf = await boot(page);
    assert.ok(conf && conf.enabled, 'boot JSON says filters are on for the test domain');

    // Reached from the user menu (General first, then Filters).
    await page.click('#user-btn');
    await page.click('#menu-settings');
    await page.waitForSelector('.set-section-general .set-page-title');
    await page.click('.set-nav-link[data-section="filters"]');
    await page.waitForSelector('.set-section-filters .set-page-title');
    assert.match(page.url(), /#\/settings\/filters$/);
    assert.equal(await page.isVisible('#list-pane'), false, 'the list is hidden behind settings');

    await page.click('#rule-new');
    await page.waitForSelector('#rule-form');
    // Saving an empty rule is refused next to the fields, nothing is sent.
    await page.click('#rule-save');
    await page.waitForSelector('#rule-name[aria-invalid="true"]');
    assert.ok(await page.isVisible('.cond-row .field-error'), 'the empty value is pointed out');
    assert.match(page.url(), /#\/settings\/filters\/new$/);

    await page.fill('#rule-name', `E2E ${TOKEN}`);
    const cond = page.locator('.cond-row').first();
    await cond.locator('.cond-field').selectOption('from');
    await cond.locator('.cond-op').selectOption('contains');
    await cond.locator('.cond-value').fill(TOKEN);
    const act = page.locator('.act-row').first();
    await act.locator('.act-type').selectOption('move');
    await act.locator('.act-folder').selectOption('\u0000new');
    await act.locator('.act-new-folder').fill(folder);
    await page.click('#rule-add-action');
    await page.locator('.act-row').nth(1).locator('.act-type').selectOption('read');
    await shot(page, 'filters-editor');
    await page.click('#rule-save');
    await page.waitForSelector('.rules .rule', { timeout: 15000 }).catch(async (e) => {
      const why = await page.textContent('#rule-server-error').catch(() => '');
      throw new Error(`rule not saved: ${why} ${errors.join('; ')} (${e.message})`);
    });
    const row = page.locator('.rule', { hasText: `E2E ${TOKEN}` });
    assert.equal(await row.count(), 1);
    assert.match(await row.locator('.rule-summary').textContent(), new RegExp(folder));
    assert.equal(await row.locator('.rule-toggle').isChecked(), true);
    await shot(page, 'filters-list');
    // The new folder is made (subscribed) at once, not at the first match.
    await page.waitForFunction((f) => [...document.querySelectorAll('#folders .folder-link:not(.unsubscribed)')]
      .some((a) => a.textContent.includes(f)), folder, { timeout: 10000 });

    // What the server keeps reads back the same after a reload.
    await page.reload();
    await page.waitForSelector('.rules .rule');
    assert.equal(await page.locator('.rule', { hasText: `E2E ${TOKEN}` }).count(), 1);

    execFileSync('swaks', ['--silent', '2', '--to', user.email, '--from', 'carol@example.org',
      '--server', `127.0.0.1:${info.ports.smtp}`, '--h-Subject', subject,
      '--h-From', `"Carol ${TOKEN}" <carol@example.org>`,
      '--body', 'Delivered by Postfix, filed by Sieve.']);

    const msg = await waitForMessage(page, folder, subject, 30000);
    assert.ok(msg, `the message landed in ${folder}`);
    assert.equal(msg.seen, true, 'and is marked as read');
    const inInbox = await waitForMessage(page, 'INBOX', subject, 1);
    assert.equal(inInbox, null, 'and is not in INBOX');

    // The folder shows in the UI with the message in it.
    await page.goto(`${BASE_URL}/#/folder/${encodeURIComponent(folder)}`);
    await page.reload();
    await page.waitForFunction((s) => [...document.querySelectorAll('#list .row[data-uid]')]
      .some((r) => r.textContent.includes(s)), subject, { timeout: 15000 });
    const listRow = page.locator('#list .row[data-uid]', { hasText: subject });
    assert.equal(await listRow.evaluate((n) => n.classList.contains('unread')), false);

    // Delete the rule again (through the confirm dialog).
    await page.goto(`${BASE_URL}/#/settings/filters`);
    await page.waitForSelector('.rules .rule');
    await page.locator('.rule', { hasText: `E2E ${TOKEN}` }).locator('.rule-delete').click();
    await page.click('#set-ask-ok');
    await page.waitForFunction((n) => ![...document.querySelectorAll('.rule-name')].some((x) => x.textContent.includes(n)),
      `E2E ${TOKEN}`, { timeout: 15000 });
    assert.deepEqual(problems, []);
  });
});

test('rules reorder with the arrows and by drag and drop, and switch off', async () => {
  const user = bob();
  const rule = (name, word) => ({ name, enabled: true, match: 'all',
    conditions: [{ field: 'subject', op: 'contains', value: `${word} ${TOKEN}` }], actions: [{ type: 'flag' }] });
  await withPage(browser, DESKTOP, 'filters-order', async (page, problems) => {
    await login(page, user);
    const api = (call, body) => page.evaluate(([c, b]) => window.Petrel.api(c, b, { quiet: true }), [call, body]);
    const before = await api('Filters', {});
    const mine = [rule(`RuleA ${TOKEN}`, 'x1'), rule(`RuleB ${TOKEN}`, 'x2'), rule(`RuleC ${TOKEN}`, 'x3')];
    await api('FiltersSave', { rules: [...before.rules, ...mine], vacation: before.vacation });
    const order = async () => (await api('Filters', {})).rules.map((r) => r.name).filter((n) => n.endsWith(TOKEN));
    const shown = () => page.locator('.rule-name').evaluateAll((l, tok) => l.map((n) => n.firstChild.textContent)
      .filter((n) => n.endsWith(tok)), TOKEN);

    await page.goto(`${BASE_URL}/#/settings/filters`);
    await page.waitForSelector('.rules .rule');
    // Keyboard: A down one place; the focus stays on A's arrow.
    const a = page.locator('.rule', { hasText: `RuleA ${TOKEN}` });
    await a.locator('.rule-down').focus();
    await page.keyboard.press('Enter');
    await page.waitForSelector('.toast:not(.error)', { timeout: 15000 });
    assert.deepEqual(await order(), [`RuleB ${TOKEN}`, `RuleA ${TOKEN}`, `RuleC ${TOKEN}`]);
    assert.deepEqual(await shown(), [`RuleB ${TOKEN}`, `RuleA ${TOKEN}`, `RuleC ${TOKEN}`]);
    assert.match(await page.evaluate(() => document.activeElement.closest('.rule').textContent), new RegExp(`RuleA ${TOKEN}`));

    // Mouse: drag C by its handle onto the top half of B.
    const c = page.locator('.rule', { hasText: `RuleC ${TOKEN}` });
    const b = page.locator('.rule', { hasText: `RuleB ${TOKEN}` });
    await c.locator('.rule-grip').dragTo(b, { targetPosition: { x: 80, y: 6 } });
    await page.waitForFunction((tok) => [...document.querySelectorAll('.rule-name')].map((n) => n.firstChild.textContent)
      .filter((n) => n.endsWith(tok)).join('|') === `RuleC ${tok}|RuleB ${tok}|RuleA ${tok}`, TOKEN, { timeout: 15000 });
    await page.waitForFunction(() => !document.querySelector('.rules.is-saving'));
    assert.deepEqual(await order(), [`RuleC ${TOKEN}`, `RuleB ${TOKEN}`, `RuleA ${TOKEN}`]);

    // Off is kept by the server and shown after a reload.
    await page.locator('.rule', { hasText: `RuleB ${TOKEN}` }).locator('.rule-toggle').uncheck();
    await page.waitForFunction(() => !document.querySelector('.rules.is-saving'));
    await page.reload();
    await page.waitForSelector('.rules .rule');
    assert.equal(await page.locator('.rule', { hasText: `RuleB ${TOKEN}` }).locator('.rule-toggle').isChecked(), false);
    assert.equal((await api('Filters', {})).rules.find((r) => r.name === `RuleB ${TOKEN}`).enabled, false);

    await api('FiltersSave', { rules: before.rules, vacation: before.vacation });
    assert.deepEqual(problems, []);
  });
});

test('the vacation reply switch is saved', async () => {
  const user = bob();
  await withPage(browser, DESKTOP, 'filters-vacation', async (page, problems) => {
    await login(page, user);
    await page.goto(`${BASE_URL}/#/settings/vacation`);
    await page.waitForSelector('#vacation-form');
    const sw = page.locator('#vacation-enabled');
    if (await sw.isChecked()) await sw.uncheck();
    // On without a text is refused before anything is sent.
    await sw.check();
    await page.fill('#vacation-text', '');
    await page.click('#vacation-save');
    await page.waitForSelector('#vacation-text[aria-invalid="true"]');

    await page.fill('#vacation-subject', `Away ${TOKEN}`);
    await page.fill('#vacation-text', 'I am away until Monday.');
    await page.fill('#vacation-days', '3');
    await page.click('#vacation-save');
    await page.waitForSelector('.toast:not(.error)', { timeout: 15000 });
    assert.equal(await page.isVisible('#vacation-server-error'), false);
    await shot(page, 'filters-vacation');

    await page.reload();
    await page.waitForSelector('#vacation-form');
    assert.equal(await page.locator('#vacation-enabled').isChecked(), true, 'on after a reload');
    assert.equal(await page.inputValue('#vacation-subject'), `Away ${TOKEN}`);
    assert.equal(await page.inputValue('#vacation-days'), '3');

    await page.locator('#vacation-enabled').uncheck();
    await page.click('#vacation-save');
    await page.waitForSelector('.toast:not(.error)', { timeout: 15000 });
    await page.reload();
    await page.waitForSelector('#vacation-form');
    assert.equal(await page.locator('#vacation-enabled').isChecked(), false, 'off after a reload');
    assert.deepEqual(problems, []);
  });
});

test('raw mode is absent where the domain does not allow it', async () => {
  const user = bob();
  await withPage(browser, DESKTOP, 'filters-raw-off', async (page, problems) => {
    await login(page, user);
    const conf = await boot(page);
    assert.equal(conf.allowRaw, false, 'the harness default domain has sieve_allow_raw = Off');
    await page.goto(`${BASE_URL}/#/settings/filters`);
    await page.waitForSelector('.set-section-filters .set-page-title');
    // Other sections (contacts, …) may be listed too; sieve must not be.
    const sections = await page.locator('.set-nav-link').evaluateAll((l) => l.map((a) => a.dataset.section));
    assert.deepEqual(sections.filter((s) => ['filters', 'vacation', 'sieve'].includes(s)), ['filters', 'vacation']);
    await page.goto(`${BASE_URL}/#/settings/sieve`);
    await page.waitForFunction(() => /#\/settings\/general$/.test(location.hash));
    const code = await page.evaluate(async () => {
      try { await window.Petrel.api('FiltersScripts', {}, { quiet: true }); return 'ok'; } catch (e) { return e.code; }
    });
    assert.equal(code, 'raw_disabled');
    assert.deepEqual(problems.filter((p) => !/status of 403/.test(p)), []);
  });
});

// Raw mode for carol's domain only while this test runs: a wildcard
// domain file, so an exact example.org.ini another test writes wins over
// it, then petrel reloads its configuration (SIGHUP).
const WEB = process.env.PETREL_WEBSTACK_DIR;
const DOMAINS = WEB && path.join(WEB, 'data', '_data_', '_default_', 'domains');
const RAW_INI = DOMAINS && path.join(DOMAINS, 'example.o*.ini');
function reloadPetrel() {
  try {
    process.kill(Number(fs.readFileSync(path.join(WEB, 'petrel.pid'), 'utf8')), 'SIGHUP');
  } catch (e) {
    // Gone: the webstack's stop step reports how it died.
    if (e.code !== 'ESRCH') throw e;
  }
}

test('raw mode shows the server error next to the line it names', async () => {
  const user = stack().users.find((u) => u.email === 'carol@example.org');
  const def = fs.readFileSync(path.join(DOMAINS, 'default.ini'), 'utf8');
  assert.match(def, /^sieve_allow_raw = Off$/m);
  fs.writeFileSync(RAW_INI, def.replace(/^sieve_allow_raw = Off$/m, 'sieve_allow_raw = On'));
  reloadPetrel();
  await new Promise((r) => setTimeout(r, 1000));
  try {
    await withPage(browser, PHONE, 'filters-raw', async (page, problems) => {
      await login(page, user);
      assert.equal((await boot(page)).allowRaw, true, 'the wildcard domain file is in force');
      const name = `e2e-${TOKEN}`;
      await page.goto(`${BASE_URL}/#/settings/filters`);
      await page.waitForSelector('.set-section-filters .set-page-title');
      await page.click('.set-nav-link[data-section="sieve"]');
      await page.waitForSelector('#scripts');
      await page.click('#script-new');
      await page.fill('#set-ask-input', name);
      await page.click('#set-ask-ok');
      await page.waitForSelector('#script-text');
      await page.fill('#script-text', 'require ["fileinto"];\n# a comment\nif true {\n  fileinto "INBOX";\n  no_such_command;\n}\n');
      await page.click('#script-save');
      await page.waitForSelector('#script-line-error:not([hidden])', { timeout: 15000 });
      const line = await page.evaluate(() => [...document.querySelectorAll('.code-gutter span')]
        .findIndex((s) => s.classList.contains('is-error')) + 1);
      assert.equal(line, 5, 'the line of the unknown command is marked');
      const bubble = await page.textContent('#script-line-error');
      assert.match(bubble, /5/);
      assert.match(bubble, /no_such_command/);
      // The message sits just under line 5 of the editor.
      const [lineBox, bubbleBox] = await page.evaluate(() => {
        const r = (n) => { const b = n.getBoundingClientRect(); return { top: b.top, bottom: b.bottom }; };
        return [r(document.querySelectorAll('.code-gutter span')[4]), r(document.querySelector('#script-line-error'))];
      });
      assert.ok(Math.abs(bubbleBox.top - lineBox.bottom) < 8, `bubble at ${bubbleBox.top}, line 5 ends at ${lineBox.bottom}`);
      await shot(page, 'filters-raw-error');

      // A good script saves and reads back; then it can be deleted.
      const good = 'require ["fileinto"];\nif header :contains "subject" "x" {\n  fileinto "INBOX";\n}\n';
      await page.fill('#script-text', good);
      await page.click('#script-save');
      await page.waitForSelector('.toast:not(.error)', { timeout: 15000 });
      assert.equal(await page.isVisible('#script-line-error'), false);
      const back = await page.evaluate(async (n) => (await window.Petrel.api('FiltersScriptGet', { name: n })).script, name);
      assert.equal(back.replace(/\r\n/g, '\n'), good);
      await page.click('.set-crumb');
      const row = page.locator('.script', { hasText: name });
      await row.waitFor();
      await row.locator('.script-delete').click();
      await page.click('#set-ask-ok');
      await page.waitForFunction((n) => !document.querySelector(`.script[data-name="${n}"]`), name, { timeout: 15000 });
      assert.deepEqual(problems.filter((p) => !/status of 422/.test(p)), []);
    });
  } finally {
    fs.rmSync(RAW_INI, { force: true });
    reloadPetrel();
  }
});
