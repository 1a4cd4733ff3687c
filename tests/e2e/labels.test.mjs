// Labels (issue 17) in the browser against the real stack: create a label
// from the list toolbar's Label menu ("New label…"), which puts it on the
// two selected messages; the chips show in those rows (and only those) and
// in the message view; the menu is tri-state for a mixed selection; the
// sidebar entry filters the folder to exactly the labelled messages; the
// label comes off again from the menu; Settings → Labels lists it.
// Screenshots at 1440×900 and 390×844, light and dark.
//
//   PETREL_BASE_URL=http://127.0.0.1:8080 node --test labels.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_URL, DESKTOP, PHONE, launch, login, pageApi, shot, withPage } from './lib.mjs';

const USER = { email: 'alice@example.test', password: 'alice-pass-1' };
const RUN = String(Date.now());

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

// A folder of its own with copies of three INBOX messages.
async function folderOfThree(page, name) {
  assert.equal((await pageApi(page, 'FolderCreate', { path: name })).status, 200);
  const inbox = await pageApi(page, 'MessageList', { folder: 'INBOX', limit: 3 });
  const uids = inbox.body.messages.map((m) => m.uid);
  assert.equal(uids.length, 3);
  assert.equal((await pageApi(page, 'MessageCopy', { folder: 'INBOX', uids, to: name })).status, 200);
  await page.goto(BASE_URL + '/#/folder/' + encodeURIComponent(name));
  await page.waitForFunction(() => document.querySelectorAll('#list .row[data-uid]').length === 3);
  return page.$$eval('#list .row[data-uid]', (rows) => rows.map((r) => Number(r.dataset.uid)));
}

const rowSel = (uid) => `#msg-${uid}`;
const chipIn = (sel, name) => `${sel} .lbl-chip[title="${name}"]`;

test('create a label, apply it to two messages, see chips, filter, remove it', async () => {
  await withPage(browser, DESKTOP, 'labels-desktop', async (page, problems) => {
    await login(page, USER);
    const folder = 'LabelsE2E' + RUN;
    const name = 'Projekt Ü ' + RUN;
    const uids = await folderOfThree(page, folder);
    try {
      // Select the first two rows with their checkboxes.
      await page.click(`${rowSel(uids[0])} .row-check input`);
      await page.click(`${rowSel(uids[1])} .row-check input`);
      await page.click('#label-btn');
      await page.waitForSelector('#label-menu:not([hidden])');
      // Thunderbird's five are there by default.
      assert.ok(await page.isVisible('#label-menu [data-keyword="$label1"]'));
      await page.waitForTimeout(200);
      await shot(page, 'labels-menu');
      await page.click('#label-menu [data-new-label]');
      await page.waitForSelector('#label-dialog-name');
      await page.fill('#label-dialog-name', name);
      await page.selectOption('#label-dialog-colour', 'teal');
      await shot(page, 'labels-new-dialog');
      const saved = page.waitForResponse((r) => r.url().endsWith('/api/LabelSave'));
      const set = page.waitForResponse((r) => r.url().endsWith('/api/MessageSetKeywords'));
      await page.click('#label-dialog-ok');
      const label = (await (await saved).json()).label;
      assert.equal(label.name, name);
      assert.match(label.keyword, /^[\x21-\x7e]{1,64}$/);
      assert.equal((await set).status(), 200);
      // Chips on the two rows, not on the third; they survive a reload.
      await page.waitForSelector(chipIn(rowSel(uids[0]), name));
      await page.reload();
      await page.waitForSelector(chipIn(rowSel(uids[0]), name));
      assert.ok(await page.isVisible(chipIn(rowSel(uids[1]), name)));
      assert.equal(await page.$(chipIn(rowSel(uids[2]), name)), null);
      // Name beside the colour, and a screen-reader prefix.
      assert.equal(await page.textContent(`${chipIn(rowSel(uids[0]), name)} .lbl-name`), name);
      assert.match(await page.textContent(`${rowSel(uids[0])} .lbl-chips`), /^Labels:/);
      await shot(page, 'labels-list');
      // Every list toolbar button fits the pane on a desktop screen (the
      // sort button drops its label when the pane is narrow).
      const fit = await page.$eval('#list-toolbar', (t) => ({ sw: t.scrollWidth, cw: t.clientWidth,
        sort: t.querySelector('.sort-btn').getBoundingClientRect().right, right: t.getBoundingClientRect().right }));
      assert.ok(fit.sw <= fit.cw + 1 && fit.sort <= fit.right, JSON.stringify(fit));
      // A laptop-sized window: the plain actions that do not fit go into
      // the toolbar's More menu and still work from there.
      await page.setViewportSize({ width: 1200, height: 800 });
      await page.waitForSelector('#list-more-wrap:not([hidden])');
      const fit2 = await page.$eval('#list-toolbar', (t) => ({ sw: t.scrollWidth, cw: t.clientWidth,
        sort: t.querySelector('.sort-btn').getBoundingClientRect().right, right: t.getBoundingClientRect().right }));
      assert.ok(fit2.sw <= fit2.cw + 1 && fit2.sort <= fit2.right, JSON.stringify(fit2));
      assert.ok(await page.isVisible('#label-btn'));
      await page.click('#list-more');
      const listed = page.waitForResponse((r) => r.url().endsWith('/api/MessageList'));
      await page.click('#list-more-menu .menu-item:has-text("Refresh")');
      assert.equal((await listed).status(), 200);
      assert.equal(await page.isVisible('#list-more-menu'), false);
      await shot(page, 'list-toolbar-folded');
      await page.setViewportSize({ width: 1440, height: 900 });
      await page.waitForSelector('#list-more-wrap[hidden]', { state: 'attached' });

      // All three selected: the label's item is mixed.
      await page.keyboard.press('Control+a');
      await page.click('#label-btn');
      const item = `#label-menu [data-keyword="${label.keyword}"]`;
      await page.waitForSelector(item);
      assert.equal(await page.getAttribute(item, 'aria-checked'), 'mixed');
      await page.waitForTimeout(250); // the menu's fade-in
      await shot(page, 'labels-menu-mixed');
      await page.keyboard.press('Escape');

      // The sidebar entry filters the folder: exactly the two.
      await page.click(`#labels-nav [data-keyword="${label.keyword}"]`);
      await page.waitForFunction((n) => document.querySelectorAll('#list .row[data-uid]').length === n, 2);
      const shown = await page.$$eval('#list .row[data-uid]', (rows) => rows.map((r) => Number(r.dataset.uid)).sort());
      assert.deepEqual(shown, [uids[0], uids[1]].sort());
      assert.match(await page.textContent('#search-chip-text'), new RegExp('Label: ' + name));
      assert.equal(await page.getAttribute(`#labels-nav [data-keyword="${label.keyword}"]`, 'aria-current'), 'page');
      await shot(page, 'labels-filtered');

      // The message view shows the chip too; "l" opens its Label menu.
      await page.click(`${rowSel(uids[0])} .row-subject`);
      await page.waitForSelector(`#msg-badges .lbl-chip[title="${name}"]`);
      await shot(page, 'labels-message');
      await page.keyboard.press('Escape');
      await page.click('#list');

      // Take it off both, from the toolbar menu ("l" opens it).
      await page.keyboard.press('Control+a');
      await page.keyboard.press('l');
      await page.waitForSelector('#label-menu:not([hidden])');
      await page.waitForSelector(item);
      assert.equal(await page.getAttribute(item, 'aria-checked'), 'true');
      const off = page.waitForResponse((r) => r.url().endsWith('/api/MessageSetKeywords'));
      await page.click(item);
      const offBody = JSON.parse((await off).request().postData());
      assert.deepEqual(offBody.remove, [label.keyword]);
      assert.equal(await page.$(`#list .lbl-chip[title="${name}"]`), null);
      const after = await pageApi(page, 'MessageList', { folder, search: 'keyword:' + label.keyword });
      assert.equal(after.body.total, 0);

      // Settings → Labels lists it; delete it there.
      await page.goto(BASE_URL + '/#/settings/labels');
      await page.waitForSelector(`#label-list li[data-keyword="${label.keyword}"]`);
      await shot(page, 'labels-settings');
      await page.click(`#label-list li[data-keyword="${label.keyword}"] .lbl-set-del`);
      await page.waitForSelector('#label-delete-ok');
      const del = page.waitForResponse((r) => r.url().endsWith('/api/LabelDelete'));
      await page.click('#label-delete-ok');
      assert.equal((await del).status(), 200);
      await page.waitForFunction((kw) => !document.querySelector(`#label-list li[data-keyword="${kw}"]`), label.keyword);
      assert.deepEqual(problems, []);
    } finally {
      await pageApi(page, 'FolderDelete', { path: folder });
    }
  });
});

test('screenshots: phone and dark', async () => {
  for (const [opts, tag] of [[PHONE, 'phone'], [{ ...DESKTOP, colorScheme: 'dark' }, 'desktop-dark'],
    [{ ...PHONE, colorScheme: 'dark' }, 'phone-dark']]) {
    await withPage(browser, opts, 'labels-' + tag, async (page, problems) => {
      await login(page, USER);
      const folder = 'LabelsShot' + tag + RUN;
      const uids = await folderOfThree(page, folder);
      try {
        const r = await pageApi(page, 'LabelSave', { name: 'Долгое имя метки ' + tag, colour: 'pink' });
        assert.equal(r.status, 200);
        const set = [['$label1', r.body.label.keyword], ['$label2'], ['$label4', '$label5', 'neutral' + RUN]];
        for (let i = 0; i < 3; i++) {
          assert.equal((await pageApi(page, 'MessageSetKeywords', { folder, uids: [uids[i]], add: set[i] })).status, 200);
        }
        await page.reload();
        await page.waitForSelector(`${rowSel(uids[0])} .lbl-chip`);
        await shot(page, 'labels-list-' + tag);
        // The list toolbar's menu for a selection (a sheet on a phone).
        await page.click(`${rowSel(uids[2])} .row-check input`);
        await page.click('#label-btn');
        await page.waitForSelector('#label-menu:not([hidden])');
        assert.equal(await page.getAttribute('#label-menu [data-keyword="$label4"]', 'aria-checked'), 'true');
        // The keyword without a definition is there too, as itself.
        assert.equal(await page.textContent(`#label-menu [data-keyword="neutral${RUN}"] .lbl-item-name`), 'neutral' + RUN);
        await page.waitForTimeout(200);
        await shot(page, 'labels-list-menu-' + tag);
        await page.keyboard.press('Escape');
        await page.click(`${rowSel(uids[2])} .row-check input`);
        await page.click(`${rowSel(uids[0])} .row-subject`);
        await page.waitForSelector('#msg-badges .lbl-chip');
        await page.waitForTimeout(300);
        await shot(page, 'labels-message-' + tag);
        await page.click('#msg-label-btn');
        await page.waitForSelector('#msg-label-menu:not([hidden])');
        assert.equal(await page.getAttribute('#msg-label-menu [data-keyword="$label1"]', 'aria-checked'), 'true');
        await page.waitForTimeout(200);
        await shot(page, 'labels-message-menu-' + tag);
        // A message that is not on the list page (opened by its URL)
        // shows its chips from the Message call.
        await page.keyboard.press('Escape');
        await page.goto(BASE_URL + '/#/folder/' + encodeURIComponent(folder) + '?q=' +
          encodeURIComponent('subject:"no such subject ' + RUN + '"') + '&m=' + uids[0]);
        await page.waitForSelector('#msg-badges .lbl-chip[title="Important"]');
        assert.equal(await page.$$eval('#list .row[data-uid]', (r) => r.length), 0);
        await page.goto(BASE_URL + '/#/settings/labels');
        await page.waitForSelector('#label-list li');
        await shot(page, 'labels-settings-' + tag);
        await pageApi(page, 'LabelDelete', { keyword: r.body.label.keyword });
        assert.deepEqual(problems, []);
      } finally {
        await pageApi(page, 'FolderDelete', { path: folder });
      }
    });
  }
});
