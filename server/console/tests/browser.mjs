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
  // A debug build under a full parallel test run is slow: wait as long as a patient user would.
  page.setDefaultTimeout(120000);
  page.setDefaultNavigationTimeout(120000);
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
    await page.waitForSelector('#map[data-ready="true"]', { timeout: 120000 });
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
    // The visit may be in the queue twice: drawn for the sample, and flagged.
    const rows = page.locator(`tr[data-record="${s.record}"]`);
    check(await rows.count() >= 1, 'the queue holds the visit');
    const row = rows.first();
    await Promise.all([page.waitForNavigation(), row.locator('a', { hasText: '核查' }).click()]);
    await page.waitForSelector('#map[data-ready="true"]', { timeout: 120000 });
    await shot(page, 'spot-check-item');
    await page.check('input[value=not_confirmed]');
    await page.fill('textarea[name=comment]', '电话回访农户，当日无人入户。');
    await Promise.all([page.waitForNavigation(), page.click('form.finding button[type=submit]')]);
    // The month of the visit's own cadre (the queue may list it under a teammate whose verdicts
    // count it), at the visit.
    check(page.url().includes('/console/people/') && page.url().endsWith('#visit-' + s.record),
      'the finding opens the person-month at the visit: ' + page.url() + ' ' + (await page.locator('main').innerText()).replace(/\s+/g, ' ').slice(0, 300));
    // The finding re-evaluates the cadre's month at once; should the month be closing at that
    // very moment (the worker's daily pass), the re-opened verdict follows within seconds.
    let answer = '';
    let reloads = 0;
    for (; reloads < 30; reloads++) {
      answer = await page.locator(`#visit-${s.record}`).innerText();
      if (answer.includes('核查不属实')) break;
      await new Promise((r) => setTimeout(r, 2000));
      await page.reload();
    }
    check(answer.includes('不计入') && answer.includes('核查不属实'), `the visit is no longer counted (after ${reloads} reloads): ` + answer.replace(/\s+/g, ' '));
    await context.close();
  }

  // 3. The office imports a households file with a bad row (named, nothing changes), then a
  //    good one (GCJ-02 coordinates, as copied from AMap).
  {
    const { context, page } = await signIn(browser, s.office);
    const upload = async (name, text) => {
      await page.goto(s.base + '/console/admin/import');
      await page.selectOption('select[name=kind]', 'households');
      await page.selectOption('select[name=township]', s.township);
      await page.selectOption('select[name=datum]', 'gcj02');
      await page.setInputFiles('input[name=file]', { name, mimeType: 'text/csv', buffer: Buffer.from(text, 'utf8') });
      await Promise.all([page.waitForNavigation(), page.click('main form button[type=submit]')]);
    };
    const header = '村名,户主,纬度,经度,类别,人口\n';
    await upload('农户-有误.csv', header + '青峰村,测试户甲,31.9330,107.2450,贫困户,3\n青峰村,测试户乙,三十一度,107.2460,贫困户,2\n');
    const errors = await page.locator('main').innerText();
    check(errors.includes('第 3 行') && errors.includes('纬度') && errors.includes('未导入任何内容'), 'a bad row is named by row and column, and nothing is imported: ' + errors.replace(/\s+/g, ' ').slice(0, 400));
    check(await page.locator('text=确认导入').count() === 0, 'no confirmation is offered for a file with errors');
    await shot(page, 'import-errors');
    await upload('农户.csv', header + '青峰村,测试户甲,31.9330,107.2450,贫困户,3\n青峰村,测试户乙,31.9335,107.2460,党员家庭,2\n');
    check(await page.locator('text=确认导入').count() === 1, 'a good file is previewed with a confirmation');
    await Promise.all([page.waitForNavigation(), page.click('text=确认导入')]);
    const done = await page.locator('main').innerText();
    check(done.includes('已导入') && done.includes('2 行全部写入'), 'the good file is imported: ' + done.replace(/\s+/g, ' '));

    // A ledger's print view, printed to PDF as the office would send it up.
    await page.goto(s.base + '/console/ledgers?month=' + s.month);
    const attendance = page.locator('tr[data-document="attendance"] a', { hasText: '打印预览' }).first();
    await Promise.all([page.waitForNavigation(), attendance.click()]);
    const sheet = await page.locator('main').innerText();
    check(sheet.includes('考勤表') && sheet.includes('期间'), 'the attendance print view opens');
    await shot(page, 'ledger-print-view');
    if (shots) {
      await page.emulateMedia({ media: 'print' });
      await page.pdf({ path: join(shots, 'attendance.pdf'), printBackground: true, preferCSSPageSize: true });
      check(true, 'the attendance sheet is printed to PDF');
    }
    await context.close();
  }

  // 4. A cadre cannot open another township's person-month.
  {
    const { context, page } = await signIn(browser, s.cadre_login);
    const r = await page.goto(s.base + `/console/people/${s.foreign_person}?month=${s.month}`);
    check(r.status() === 403, 'another township\'s person-month is refused (403)');
    await context.close();
  }
} finally {
  await browser.close();
}
