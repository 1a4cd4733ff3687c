// The address book against the real stack, as alice (her contacts are
// wiped first):
//  - a contact added in the Contacts section, found by search, offered
//    first by the compose window's autocomplete, and written to with the
//    row's "write" button;
//  - the sender of a message added from the message header (the dialog
//    comes filled with the sender's name and address);
//  - a .vcf with a folded Cyrillic name imported through the file picker;
//    two contacts deleted together after the confirmation;
//  - screenshots at 1440×900 and 390×844, light and dark.
// The message for the "add sender" test is written into alice's INBOX with
// tests/harness/mailstack.py fill-maildir (PETREL_MAILSTACK_DIR).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BASE_URL, DESKTOP, PHONE, launch, pageApi, shot, withPage } from './lib.mjs';

const ALICE = ['alice@example.test', 'alice-pass-1'];
const STACK = process.env.PETREL_MAILSTACK_DIR;
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const RUN = Date.now().toString(36);
const SENDER_SUBJECT = `Contacts e2e from Dora ${RUN}`;
const DORA = `dora.${RUN}@example.org`;

let browser;
before(async () => {
  assert.ok(STACK, 'PETREL_MAILSTACK_DIR must name the running mail stack');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'petrel-contacts-'));
  const eml = path.join(dir, 'dora.eml');
  fs.writeFileSync(eml, [
    `From: Dora Sender <${DORA}>`,
    'To: Alice Example <alice@example.test>',
    `Subject: ${SENDER_SUBJECT}`,
    `Date: ${new Date().toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <e2e-contacts-${RUN}@example.org>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Hello Alice, add me to your address book.',
    '',
  ].join('\r\n'));
  execFileSync('python3', [path.join(ROOT, 'tests/harness/mailstack.py'), 'fill-maildir', '--dir', STACK,
    '--user', ALICE[0], '--folder', 'INBOX', eml], { stdio: 'pipe' });
  fs.rmSync(dir, { recursive: true, force: true });
  browser = await launch();
});
after(async () => { await browser?.close(); });

async function login(page, [user, pass]) {
  await page.goto(BASE_URL + '/');
  await page.waitForSelector('#login-form');
  await page.fill('#login-email', user);
  await page.fill('#login-password', pass);
  await Promise.all([page.waitForNavigation(), page.click('#login-submit')]);
  await page.waitForSelector('#list .row[data-uid], #list .empty-state, #list');
  await page.waitForFunction(() => window.Petrel && window.PetrelCompose && window.Petrel.settings);
}

async function wipe(page) {
  const r = await pageApi(page, 'Contacts', { limit: 500 });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const ids = r.body.contacts.map((c) => c.id);
  if (ids.length) assert.equal((await pageApi(page, 'ContactDelete', { ids })).status, 200);
}

async function openContacts(page) {
  await page.click('#nav-contacts');
  await page.waitForSelector('#contact-list .ct-row, #contact-list .ct-empty');
  assert.equal(await page.getAttribute('#nav-contacts', 'aria-current'), 'page');
}

const noProblems = (problems) => assert.deepEqual(problems.filter((p) => !/favicon/.test(p)), []);

test('add a contact, find it by search, compose offers it first, write to it', async () => {
  const name = `Zelda Contact ${RUN}`;
  const email = `zelda.${RUN}@example.test`;
  await withPage(browser, DESKTOP, 'contacts-add', async (page, problems) => {
    await login(page, ALICE);
    await wipe(page);
    await openContacts(page);
    assert.match(await page.textContent('#contact-list'), /No contacts yet/);
    await page.click('#contact-new');
    await page.waitForSelector('#contact-dialog #contact-name');
    // A bad address is refused with the server's reason, the dialog stays.
    await page.fill('#contact-name', name);
    await page.fill('#contact-dialog .ct-email', 'not an address');
    await page.click('#contact-save');
    await page.waitForSelector('#contact-error:not([hidden])');
    assert.match(await page.textContent('#contact-error'), /not an address/);
    await page.fill('#contact-dialog .ct-email', email);
    await page.click('#contact-dialog .ct-add-email');
    await page.fill('#contact-dialog .ct-email-row:nth-child(2) .ct-email', `work.${email}`);
    await page.fill('#contact-phone', '+1 555 0100');
    await page.fill('#contact-org', 'Hyrule Ltd');
    await shot(page, 'contacts-dialog-desktop');
    await page.click('#contact-save');
    await page.waitForSelector('#contact-dialog', { state: 'detached' });
    await page.waitForSelector(`#contact-list .ct-row:has-text("${name}")`);
    // Two more so the search has something to leave out.
    for (const [n, e] of [['Aaron Other', `aaron.${RUN}@example.test`], ['Mira Third', `mira.${RUN}@example.test`]]) {
      assert.equal((await pageApi(page, 'ContactSave', { name: n, emails: [e] })).status, 200);
    }
    await page.fill('#contact-search', 'zelda');
    await page.waitForFunction(() => document.querySelectorAll('#contact-list .ct-row').length === 1);
    assert.match(await page.textContent('#contact-list .ct-row'), new RegExp(name));
    assert.match(await page.textContent('#contact-list .ct-row'), /Hyrule Ltd/);
    await page.fill('#contact-search', `work.zelda.${RUN}`);
    await page.waitForFunction(() => document.querySelectorAll('#contact-list .ct-row').length === 1);
    await page.fill('#contact-search', 'no-such-person-xyz');
    await page.waitForSelector('#contact-list .ct-empty');
    assert.match(await page.textContent('#contact-list'), /No contacts match/);
    await page.fill('#contact-search', '');
    await page.waitForFunction(() => document.querySelectorAll('#contact-list .ct-row').length === 3);
    // Sorted by name.
    const names = await page.$$eval('#contact-list .ct-name', (n) => n.map((x) => x.textContent));
    assert.deepEqual(names, ['Aaron Other', 'Mira Third', name]);
    await shot(page, 'contacts-list-desktop');

    // Autocomplete in compose: the contact, before anything else.
    await page.click('#compose');
    await page.waitForSelector('.compose #compose-to');
    await page.fill('#compose-to', 'zeld');
    await page.waitForSelector('.suggest:not([hidden]) .suggest-item');
    assert.match(await page.textContent('.suggest .suggest-item'), new RegExp(email.replace(/\./g, '\\.')));
    await page.keyboard.press('Enter');
    assert.equal(await page.getAttribute('.compose-row-to .chip', 'data-email'), email);
    // The one 400 is the bad address refused above.
    noProblems(problems.filter((p) => !/status of 400/.test(p)));
  });
});

test('the row\'s write button opens compose addressed to the contact', async () => {
  await withPage(browser, DESKTOP, 'contacts-write', async (page, problems) => {
    await login(page, ALICE);
    await openContacts(page);
    const row = page.locator('#contact-list .ct-row', { hasText: 'Mira Third' });
    await row.locator('.ct-write').click();
    await page.waitForSelector('.compose .compose-row-to .chip');
    assert.equal(await page.getAttribute('.compose-row-to .chip', 'data-email'), `mira.${RUN}@example.test`);
    noProblems(problems);
  });
});

test('add the sender of a message to contacts', async () => {
  await withPage(browser, DESKTOP, 'contacts-sender', async (page, problems) => {
    await login(page, ALICE);
    const row = page.locator('#list .row', { hasText: SENDER_SUBJECT }).first();
    await row.waitFor();
    await row.click();
    await page.waitForSelector('#msg-add-contact');
    assert.match(await page.getAttribute('#msg-add-contact', 'aria-label'), new RegExp(DORA.replace(/\./g, '\\.')));
    await shot(page, 'contacts-sender-button-desktop');
    await page.click('#msg-add-contact');
    await page.waitForSelector('#contact-dialog #contact-name');
    assert.equal(await page.inputValue('#contact-name'), 'Dora Sender');
    assert.equal(await page.inputValue('#contact-dialog .ct-email'), DORA);
    await page.click('#contact-save');
    await page.waitForSelector('#contact-dialog', { state: 'detached' });
    const r = await pageApi(page, 'Contacts', { q: DORA });
    assert.equal(r.body.total, 1);
    assert.deepEqual(r.body.contacts[0].emails, [DORA]);
    assert.equal(r.body.contacts[0].name, 'Dora Sender');
    // A second click opens the same contact rather than a new one.
    await page.click('#msg-add-contact');
    await page.waitForSelector('#contact-dialog #contact-name');
    assert.match(await page.textContent('#contact-dialog-title'), /Edit contact/);
    await page.keyboard.press('Escape');
    assert.equal((await pageApi(page, 'Contacts', { q: DORA })).body.total, 1);
    noProblems(problems);
  });
});

test('import a .vcf, then delete two contacts together', async () => {
  const vcf = [
    'BEGIN:VCARD', 'VERSION:3.0',
    'FN:Иван Петрович Сидоров-Длиннофамильный из Нижнего Новгорода',
    ' , инженер',
    `EMAIL;TYPE=INTERNET:ivan.${RUN}@example.ru`, 'END:VCARD',
    'BEGIN:VCARD', 'VERSION:4.0', `FN:Vcard Second ${RUN}`, `EMAIL:second.${RUN}@example.org`, 'END:VCARD',
    'BEGIN:VCARD', 'VERSION:4.0', 'EMAIL:not valid', 'END:VCARD', '',
  ].join('\r\n');
  await withPage(browser, DESKTOP, 'contacts-import', async (page, problems) => {
    await login(page, ALICE);
    await openContacts(page);
    await page.setInputFiles('#contact-import-file', { name: 'book.vcf', mimeType: 'text/vcard', buffer: Buffer.from(vcf) });
    await page.waitForSelector('.toast:has-text("2 imported, 1 skipped")');
    const longName = 'Иван Петрович Сидоров-Длиннофамильный из Нижнего Новгорода, инженер';
    await page.waitForSelector(`#contact-list .ct-row:has-text("${longName}")`);
    const r = await pageApi(page, 'Contacts', { q: 'Сидоров' });
    assert.equal(r.body.contacts[0].name, longName);

    for (const n of [longName, `Vcard Second ${RUN}`]) {
      await page.locator('#contact-list .ct-row', { hasText: n }).locator('.ct-check').check();
    }
    assert.match(await page.textContent('#contact-selbar'), /2 selected/);
    await shot(page, 'contacts-selected-desktop');
    await page.click('#contact-delete-selected');
    await page.waitForSelector('#set-ask');
    await page.click('#set-ask-ok');
    await page.waitForFunction((n) => !document.querySelector('#contact-list').textContent.includes(n), longName);
    assert.equal((await pageApi(page, 'Contacts', { q: 'Сидоров' })).body.total, 0);
    assert.equal((await pageApi(page, 'Contacts', { q: `second.${RUN}` })).body.total, 0);
    noProblems(problems);
  });
});

test('screenshots: phone and dark', async () => {
  for (const [opts, tag] of [[PHONE, 'phone'], [{ ...DESKTOP, colorScheme: 'dark' }, 'desktop-dark'],
    [{ ...PHONE, colorScheme: 'dark' }, 'phone-dark']]) {
    await withPage(browser, opts, `contacts-${tag}`, async (page, problems) => {
      await login(page, ALICE);
      await page.goto(BASE_URL + '/#/settings/contacts');
      await page.waitForSelector('#contact-list .ct-row');
      await shot(page, `contacts-list-${tag}`);
      await page.locator('#contact-list .ct-main').first().click();
      await page.waitForSelector('#contact-dialog #contact-name');
      await shot(page, `contacts-dialog-${tag}`);
      noProblems(problems);
    });
  }
});
