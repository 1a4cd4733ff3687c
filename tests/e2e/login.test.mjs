// The sign-in page, served nginx → FastCGI → petrel → template, in Chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_URL, DESKTOP, PHONE, launch, shot, withPage } from './lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('sign-in page renders with its stylesheet and script, no CSP errors', async () => {
  await withPage(browser, DESKTOP, 'login-desktop', async (page, problems) => {
    const resp = await page.goto(BASE_URL + '/');
    assert.equal(resp.status(), 200);
    const headers = resp.headers();
    assert.match(headers['content-security-policy'], /script-src 'self'/);
    assert.equal(headers['x-content-type-options'], 'nosniff');
    await page.waitForSelector('#login-form');
    assert.equal(await page.textContent('h1'), 'Sign in');
    assert.match(await page.title(), /Sign in/);
    // The stylesheet came through nginx: the card has its rounded border
    // and the button its primary colour.
    const radius = await page.$eval('.login-card', (e) => getComputedStyle(e).borderTopLeftRadius);
    assert.equal(radius, '12px');
    const bg = await page.$eval('#login-submit', (e) => getComputedStyle(e).backgroundColor);
    assert.notEqual(bg, 'rgba(0, 0, 0, 0)');
    // login.js ran: it focuses the e-mail field.
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'login-email');
    await shot(page, 'login-desktop');
    assert.deepEqual(problems, []);
  });
});

test('sign-in page fits a phone screen', async () => {
  await withPage(browser, PHONE, 'login-phone', async (page, problems) => {
    await page.goto(BASE_URL + '/');
    const box = await page.$eval('.login-card', (e) => {
      const r = e.getBoundingClientRect();
      return { left: r.left, right: r.right, width: r.width };
    });
    assert.ok(box.left >= 0 && box.right <= 390, `card inside the screen: ${JSON.stringify(box)}`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
    assert.equal(overflow, false, 'no horizontal scrolling');
    await shot(page, 'login-phone');
    assert.deepEqual(problems, []);
  });
});

test('choosing a language switches the page and is remembered', async () => {
  await withPage(browser, DESKTOP, 'login-language', async (page, problems) => {
    await page.goto(BASE_URL + '/');
    await Promise.all([
      page.waitForNavigation(),
      page.selectOption('#login-lang', 'ru'),
    ]);
    assert.equal(await page.textContent('h1'), 'Вход');
    assert.equal(await page.getAttribute('html', 'lang'), 'ru');
    await page.goto(BASE_URL + '/');
    assert.equal(await page.textContent('h1'), 'Вход');
    const cookies = await page.context().cookies();
    const lang = cookies.find((c) => c.name === 'petrel_lang');
    assert.equal(lang?.value, 'ru');
    assert.equal(lang?.sameSite, 'Strict');
    assert.deepEqual(problems, []);
  });
});

test('browser language is honoured without a cookie', async () => {
  await withPage(browser, { ...DESKTOP, locale: 'ru-RU' }, 'login-locale', async (page) => {
    await page.goto(BASE_URL + '/');
    assert.equal(await page.textContent('h1'), 'Вход');
  });
});

test('an unknown page gets the styled 404 page', async () => {
  await withPage(browser, DESKTOP, 'not-found', async (page, problems) => {
    const resp = await page.goto(BASE_URL + '/no/such/page');
    assert.equal(resp.status(), 404);
    assert.match(await page.textContent('.error-code'), /404/);
    await shot(page, 'not-found');
    // The 404 itself is logged by Chromium as a console error; nothing else may be.
    assert.deepEqual(problems.filter((p) => !p.includes('404')), []);
  });
});
