// The review console in a real browser: Debian's chromium driven by playwright-core.
// Run by the server's test `browser::the_console_works_in_a_real_browser`, which builds the
// demo county, serves it and passes the scenario in ZHUCUN_SCENARIO (JSON). Screenshots go to
// ZHUCUN_SCREENSHOTS. Exits non-zero, naming the step, on the first failure.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const s = JSON.parse(process.env.ZHUCUN_SCENARIO);
const shots = process.env.ZHUCUN_SCREENSHOTS;
if (shots) mkdirSync(shots, { recursive: true });
const executablePath = process.env.ZHUCUN_CHROMIUM || '/usr/bin/chromium';

function check(cond, what) {
  if (!cond) throw new Error('step failed: ' + what);
  console.log('ok - ' + what);
}

async function shot(page, name) {
  if (shots) await page.screenshot({ path: join(shots, name + '.png'), fullPage: false });
}

async function signIn(browser, username) {
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 }, locale: 'zh-CN' });
  const page = await context.newPage();
  page.on('pageerror', (e) => { throw new Error('page script error: ' + e.message); });
  await page.goto(s.base + '/console/');
  check(page.url().includes('/console/login'), username + ': an unsigned visit goes to the sign-in page');
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', s.password);
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  check(!page.url().includes('/console/login'), username + ' signs in');
  return { context, page };
}

const browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
try {
  // 1. A team leader opens a cadre's month and a day's map.
  {
    const { context, page } = await signIn(browser, s.leader);
    await page.goto(s.base + '/console/?month=' + s.month);
    check(await page.locator(`tr[data-person="${s.cadre}"]`).count() === 1, 'the overview lists the team member');
    await shot(page, 'overview');
    await Promise.all([page.waitForNavigation(), page.click(`tr[data-person="${s.cadre}"] td a`)]);
    check(page.url().includes('/console/people/' + s.cadre), 'one click opens the person-month');
    await page.goto(s.base + `/console/people/${s.cadre}?month=${s.month}&day=${s.day}`);
    await page.waitForSelector('#map[data-ready="true"]', { timeout: 20000 });
    const vertices = Number(await page.getAttribute('#map', 'data-vertices'));
    check(vertices > 1 && vertices <= 3000, `the day's track is drawn (${vertices} vertices)`);
    check(await page.locator('.leaflet-control-scale').count() === 1, 'the plain map has a scale bar');
    check(await page.locator('#map path.leaflet-interactive, #map canvas').count() > 0, 'layers are drawn');
    await shot(page, 'person-month');
    await context.close();
  }

  // 2. A supervisor opens a queue item, finds it not confirmed, and sees the verdict change.
  {
    const { context, page } = await signIn(browser, s.supervisor);
    await page.goto(s.base + '/console/spot-checks?month=' + s.month);
    await shot(page, 'spot-checks');
    const row = page.locator(`tr[data-record="${s.record}"]`);
    check(await row.count() === 1, 'the queue holds the visit');
    await Promise.all([page.waitForNavigation(), row.locator('a', { hasText: '核查' }).click()]);
    await page.waitForSelector('#map[data-ready="true"]', { timeout: 20000 });
    await shot(page, 'spot-check-item');
    await page.check('input[value=not_confirmed]');
    await page.fill('textarea[name=comment]', '电话回访农户，当日无人入户。');
    await Promise.all([page.waitForNavigation(), page.click('form.finding button[type=submit]')]);
    check(page.url().includes('/console/people/' + s.visit_person), 'the finding opens the person-month');
    const answer = await page.locator(`#visit-${s.record}`).innerText();
    check(answer.includes('不计入') && answer.includes('核查不属实'), 'the visit is no longer counted: ' + answer.replace(/\s+/g, ' '));
    await context.close();
  }

  // 3. A cadre cannot open another township's person-month.
  {
    const { context, page } = await signIn(browser, s.cadre_login);
    const r = await page.goto(s.base + `/console/people/${s.foreign_person}?month=${s.month}`);
    check(r.status() === 403, 'another township\'s person-month is refused (403)');
    await context.close();
  }
} finally {
  await browser.close();
}
