// A full-page screenshot of an admin page in Debian's Chromium, with the
// admin session cookie the Python test signed in with; it also fails on
// console errors (a CSP violation: a style or script the page may not load).
// Usage: node shot.mjs URL COOKIE_NAME=VALUE OUT.png
import { chromium } from '../../e2e/node_modules/playwright-core/index.mjs';

const [url, cookie, out] = process.argv.slice(2);
const [name, value] = cookie.split(/=(.*)/s);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
    '--no-first-run', '--disable-background-networking'],
});
const errors = [];
try {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await ctx.addCookies([{ name, value, url: new URL(url).origin + '/admin/' }]);
  const page = await ctx.newPage();
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  const res = await page.goto(url, { waitUntil: 'load', timeout: 60000 });
  if (res.status() !== 200) errors.push(`status ${res.status()}`);
  await page.screenshot({ path: out, fullPage: true });
} finally {
  await browser.close();
}
if (errors.length) {
  console.error(errors.join('\n'));
  process.exit(1);
}
