// @ts-check
/**
 * The merchant console in a real headless Chromium against a real server: the shop that
 * `affinity simulate` builds from the Online Retail data and keeps (`--keep`), with what
 * its simulated shoppers did (an experiment of baseline against the engine, a global
 * holdout, orders through signed webhooks) folded into the rollups, served on a free port.
 * Logs in with the shop's admin token, sees the overview's charts drawn from that data and
 * the simulation's experiment results, creates, starts and stops an experiment, creates a
 * pin rule, saves a placement setting, and runs axe-core on every page. Screenshots of
 * every page go to e2e/screenshots/console-<page>.png, the server log to e2e/artifacts/.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';

import { demoReport, freePort } from './server.mjs';

/** @typedef {import('playwright-core').Browser} Browser */
/** @typedef {import('playwright-core').Page} Page */

const run = promisify(execFile);
const REPO_ROOT = resolve(import.meta.dirname, '..', '..');
const VENV_BIN = process.env.AFFINITY_VENV_BIN ?? join(REPO_ROOT, '.venv', 'bin');
const CHROMIUM = process.env.AFFINITY_CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = join(import.meta.dirname, 'artifacts');
const SCREENSHOTS = join(import.meta.dirname, 'screenshots');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const DATASET = process.env.AFFINITY_TEST_DATASET_DIR ?? join(REPO_ROOT, '..', 'shared', 'datasets', 'online-retail');
const SHOPPERS = '150';

const missingChromium = !existsSync(CHROMIUM);
if (missingChromium && process.env.CI === 'true') {
  throw new Error(`${CHROMIUM} is required under CI=true (apt-get install -y chromium)`);
}
const skip = missingChromium ? `no Chromium at ${CHROMIUM}: install Debian's chromium to run the browser tests` : false;

/**
 * The simulated shop, kept, and the server on it.
 * @returns {Promise<{ base: string, domain: string, experiment: string, adminToken: string, storefrontKey: string, query: (sql: string, ...params: unknown[]) => Promise<any[]>, stop: () => Promise<void> }>}
 */
async function startConsoleServer() {
  if (!existsSync(join(DATASET, 'products.csv'))) throw new Error(`the Online Retail dataset is not at ${DATASET} (AFFINITY_TEST_DATASET_DIR)`);
  const dir = await mkdtemp(join(tmpdir(), 'affinity-console-e2e-'));
  const affinity = join(VENV_BIN, 'affinity');
  const python = join(VENV_BIN, 'python');
  const reportPath = join(dir, 'simulation.json');
  const simulated = demoReport((await run(affinity, ['simulate', '--data', DATASET, '--variants', 'baseline,engine', '--shoppers', SHOPPERS, '--holdout', '0.2', '--seed', '5', '--keep', join(dir, 'shop'), '--output', reportPath], { cwd: REPO_ROOT, maxBuffer: 64 * 1024 * 1024, timeout: 900_000 })).stdout);
  const kept = /** @type {Record<string, string>} */ (simulated.kept ?? {});
  assert.ok(kept.AFFINITY_DATABASE_URL && kept.shop, `affinity simulate kept no shop:\n${JSON.stringify(simulated)}`);
  const report = JSON.parse(await readFile(reportPath, 'utf8'));
  const databasePath = kept.AFFINITY_DATABASE_URL.replace(/^sqlite\+aiosqlite:\/\/\//, '');
  const env = { ...process.env, AFFINITY_DATABASE_URL: kept.AFFINITY_DATABASE_URL, AFFINITY_DATA_DIR: kept.AFFINITY_DATA_DIR, AFFINITY_HOLDOUT_SHARE: '0.2' };
  const options = { env, cwd: REPO_ROOT, maxBuffer: 64 * 1024 * 1024 };
  const domain = kept.shop;
  const { stdout } = await run(affinity, ['shop', 'rotate-admin-token', domain], options);
  const adminToken = String(demoReport(stdout).admin_token ?? '');
  assert.match(adminToken, /^adm_/, `rotate-admin-token printed no token:\n${stdout}`);
  const storefrontKey = String(demoReport((await run(affinity, ['shop', 'list'], options)).stdout).storefront_key ?? '');
  assert.ok(storefrontKey, 'affinity shop list printed no storefront_key');

  const port = await freePort();
  const logFile = join(ARTIFACTS, 'console-server.log');
  const log = createWriteStream(logFile);
  const server = spawn(python, ['-m', 'tests.integration.console.serve', '--port', String(port)],
    { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  server.stdout.pipe(log);
  server.stderr.pipe(log);
  /** @type {string | null} */
  let exited = null;
  server.on('exit', (code, signal) => { exited = `the console server exited (${code ?? signal}); see ${logFile}`; });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (exited) throw new Error(exited);
    try {
      if ((await fetch(`${base}/health`)).ok) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`${base} did not answer within 90 s`);
    await new Promise((r) => setTimeout(r, 250));
  }
  const script = 'import json,sqlite3,sys\nc=sqlite3.connect(sys.argv[1]);c.row_factory=sqlite3.Row\nprint(json.dumps([dict(r) for r in c.execute(sys.argv[2],json.loads(sys.argv[3]))]))';
  return {
    base,
    domain,
    experiment: String(report.experiment),
    adminToken,
    storefrontKey,
    query: async (sql, ...params) => JSON.parse((await run(python, ['-c', script, databasePath, sql, JSON.stringify(params)])).stdout),
    async stop() {
      if (exited) return;
      const gone = new Promise((r) => server.once('exit', r));
      server.kill('SIGTERM');
      const timer = setTimeout(() => server.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(timer);
      log.end();
    },
  };
}

/**
 * Every axe-core rule (WCAG 2 A and AA and best practices) on the whole page.
 * @param {Page} page
 * @returns {Promise<string[]>}
 */
async function axeViolations(page) {
  await page.addScriptTag({ path: AXE });
  return page.evaluate(async () => {
    const axe = /** @type {any} */ (window).axe;
    const results = await axe.run(document);
    return results.violations.map((/** @type {any} */ v) => `${v.id}: ${v.nodes.length} × ${v.help} (${v.nodes.map((/** @type {any} */ n) => n.target.join(' ')).slice(0, 3).join('; ')})`);
  });
}

/** @param {Page} page @param {string} name */
async function audit(page, name) {
  await page.screenshot({ path: join(SCREENSHOTS, `console-${name}.png`), fullPage: true });
  assert.deepEqual(await axeViolations(page), [], `axe-core on the ${name} page`);
}

describe('merchant console in Chromium', { skip }, () => {
  /** @type {Awaited<ReturnType<typeof startConsoleServer>>} */
  let server;
  /** @type {Browser} */
  let browser;
  /** @type {Page} */
  let page;
  /** @type {Error[]} */
  const errors = [];

  before(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    await mkdir(SCREENSHOTS, { recursive: true });
    server = await startConsoleServer();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    // axe-core is injected past the console's content policy (its own scripts only).
    const context = await browser.newContext({ baseURL: server.base, viewport: { width: 1280, height: 900 }, locale: 'en-GB', bypassCSP: true });
    page = await context.newPage();
    page.on('pageerror', (error) => errors.push(error));
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('without a session the console sends the browser to the log-in page', async () => {
    await page.goto('/admin/experiments');
    assert.equal(new URL(page.url()).pathname, '/admin/login');
    await audit(page, 'login');
    await page.getByLabel('Admin token').fill('adm_not-the-token');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForSelector('#login-error');
    assert.match((await page.locator('#login-error').textContent()) ?? '', /opens no shop/);
  });

  test("logs in and sees the overview charts drawn from the simulation's data", async () => {
    await page.goto('/admin/login');
    await page.getByLabel('Admin token').fill(server.adminToken);
    await Promise.all([page.waitForURL('**/admin/overview'), page.getByRole('button', { name: 'Log in' }).click()]);
    const cookies = await page.context().cookies();
    const session = cookies.find((c) => c.name === 'affinity_console');
    assert.ok(session && session.httpOnly && session.sameSite === 'Strict', 'an HttpOnly, SameSite=Strict session cookie');
    const drawn = await page.waitForFunction(() => {
      const chart = /** @type {any} */ (window).Chart?.getChart(document.getElementById('chart-ctr'));
      if (!chart) return null;
      const [personalized, holdout] = chart.data.datasets;
      return { personalized: personalized.data.filter((/** @type {any} */ v) => v > 0).length, holdout: holdout.data.filter((/** @type {any} */ v) => v > 0).length, points: personalized.data.length };
    }, null, { timeout: 15_000 });
    const figures = /** @type {any} */ (await drawn.jsonValue());
    assert.equal(figures.points, 30);
    // The simulation's shoppers visited today: today's point of each series is drawn.
    assert.ok(figures.personalized >= 1 && figures.holdout >= 1, JSON.stringify(figures));
    for (const id of ['click_to_cart', 'revenue', 'revenue_per_visitor', 'latency_p95_ms']) {
      assert.ok(await page.evaluate((name) => Boolean(/** @type {any} */ (window).Chart.getChart(document.getElementById(`chart-${name}`))), id), `chart ${id} drawn`);
    }
    // The canvas has pixels painted (not a blank element).
    const painted = await page.evaluate(() => {
      const canvas = /** @type {HTMLCanvasElement} */ (document.getElementById('chart-ctr'));
      const pixels = canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data ?? [];
      let count = 0;
      for (let i = 3; i < pixels.length; i += 4) if ((pixels[i] ?? 0) > 0) count += 1;
      return count;
    });
    assert.ok(painted > 1000, `only ${painted} pixels painted`);
    assert.notEqual((await page.locator('[data-kpi="ctr"]').textContent())?.trim(), 'no data');
    await audit(page, 'overview');
  });

  test('creates, starts and stops an experiment', async () => {
    await page.getByRole('link', { name: 'Experiments' }).click();
    await page.waitForURL('**/admin/experiments');
    await page.getByLabel('Name', { exact: true }).fill('console-e2e');
    await page.getByLabel('Placement').selectOption('HOME');
    await Promise.all([page.waitForURL(/\/admin\/experiments\/\d+$/), page.getByRole('button', { name: 'Create the draft' }).click()]);
    assert.match((await page.locator('h1').textContent()) ?? '', /console-e2e/);
    await audit(page, 'experiment');
    await page.getByRole('link', { name: 'All experiments' }).click();
    const row = page.locator('tr', { hasText: 'console-e2e' });
    await row.getByRole('button', { name: 'Start console-e2e' }).click();
    await row.locator('.status-running').waitFor();
    await row.getByRole('button', { name: 'Stop console-e2e' }).click();
    await row.locator('.status-stopped').waitFor();
    const [stored] = await server.query('SELECT status, stop_reason FROM experiments WHERE name = ?', 'console-e2e');
    assert.deepEqual(stored, { status: 'stopped', stop_reason: 'stopped by the merchant in the console' });
    await audit(page, 'experiments');
  });

  test("the simulation's experiment results: lifts as interval bars, guardrails", async () => {
    await page.getByRole('link', { name: 'Experiments' }).click();
    await Promise.all([page.waitForURL(/\/admin\/experiments\/\d+$/), page.getByRole('link', { name: server.experiment }).click()]);
    const handle = await page.waitForFunction(() => {
      const chart = /** @type {any} */ (window).Chart?.getChart(document.getElementById('chart-lifts'));
      return chart ? chart.data.datasets[0].data.length : null;
    }, null, { timeout: 15_000 });
    assert.ok(/** @type {number} */ (await handle.jsonValue()) >= 3);
    assert.ok(await page.getByRole('heading', { name: 'Guardrails' }).isVisible());
    await audit(page, 'experiment-results');
  });

  test('creates a pin rule (after refusing one naming an unknown product), previews it, and the storefront serves it', async () => {
    const [product] = await server.query("SELECT p.platform_id FROM products p JOIN shops s ON s.id = p.shop_id WHERE s.domain = ? AND p.deleted = 0 ORDER BY p.platform_id LIMIT 1", server.domain);
    await page.getByRole('link', { name: 'Rules' }).click();
    await page.waitForURL('**/admin/rules');
    const form = page.locator('form', { has: page.getByRole('button', { name: 'Create the rule' }) });
    await form.getByLabel('Name').fill('pin e2e');
    await form.getByLabel('Kind').selectOption('pin');
    await form.getByLabel('Placement').selectOption('HOME');
    await form.getByLabel('Product id (pin)').fill('no-such-product');
    await form.getByLabel('Position (pin, 1 is first)').fill('2');
    await form.getByRole('button', { name: 'Create the rule' }).click();
    await page.locator('#rule-error').waitFor();
    assert.match((await page.locator('#rule-error').textContent()) ?? '', /productId/);
    await form.getByLabel('Product id (pin)').fill(product.platform_id);
    await Promise.all([page.waitForURL('**/admin/rules'), form.getByRole('button', { name: 'Create the rule' }).click()]);
    await page.locator('tr[id^="rule-"]', { hasText: 'pin e2e' }).waitFor();
    const rules = await server.query('SELECT kind, product_id, position FROM rules WHERE name = ?', 'pin e2e');
    assert.deepEqual(rules, [{ kind: 'pin', product_id: product.platform_id, position: 2 }]);
    // The preview: what a shopper sees on HOME with and without the rules (htmx swaps it in).
    await page.locator('#preview-placement').selectOption('HOME');
    await page.getByLabel('Visitor id').fill('v0-0');
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.getByRole('heading', { name: 'With the rules' }).waitFor();
    assert.ok(await page.locator('.preview-list li[data-product]').count() >= 2);
    assert.match((await page.locator('#preview').textContent()) ?? '', /1 rule\(s\) act on this placement now/);
    assert.equal(await page.getByLabel('Visitor id').inputValue(), 'v0-0');
    const withRules = page.locator('.preview-list').first().locator('li[data-product]');
    assert.equal(await withRules.nth(1).getAttribute('data-product'), product.platform_id);
    assert.match((await withRules.nth(1).textContent()) ?? '', /Featured by the shop/);
    await audit(page, 'rules');

    // The storefront's GraphQL answers the pinned product at position 2, saying why.
    const response = await fetch(`${server.base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'X-Affinity-Storefront-Key': server.storefrontKey },
      body: JSON.stringify({ query: 'query { recommendations(placement: HOME, visitorId: "v-e2e-shopper", first: 8) { items { product { id } reasons { code message } } } }' }),
    });
    const body = /** @type {any} */ (await response.json());
    assert.equal(body.errors, undefined, JSON.stringify(body.errors));
    const second = body.data.recommendations.items[1];
    assert.equal(second.product.id, product.platform_id);
    assert.ok(second.reasons.some((/** @type {any} */ r) => r.code === 'FEATURED_BY_SHOP' && r.message === 'Featured by the shop'), JSON.stringify(second.reasons));
  });

  test('saves a placement setting', async () => {
    await page.getByRole('link', { name: 'Placements' }).click();
    await page.waitForURL('**/admin/placements');
    await page.getByLabel('Exploration share').fill('0.2');
    await Promise.all([page.waitForURL('**/admin/placements?saved=1'), page.getByRole('button', { name: 'Save the settings' }).click()]);
    assert.equal(await page.getByLabel('Exploration share').inputValue(), '0.2');
    await audit(page, 'placements');
  });

  test('data health and privacy pages pass axe-core', async () => {
    await page.getByRole('link', { name: 'Data health' }).click();
    await page.waitForURL('**/admin/health');
    assert.ok(await page.locator('[data-figure="catalog_embedded"]').count());
    await audit(page, 'health');
    await page.getByRole('link', { name: 'Privacy' }).click();
    await page.waitForURL('**/admin/privacy');
    await page.waitForFunction(() => Boolean(/** @type {any} */ (window).Chart?.getChart(document.getElementById('chart-consent'))));
    await audit(page, 'privacy');
  });

  test('logs out', async () => {
    await Promise.all([page.waitForURL('**/admin/login'), page.getByRole('button', { name: 'Log out' }).click()]);
    await page.goto('/admin/overview');
    assert.equal(new URL(page.url()).pathname, '/admin/login');
    assert.deepEqual(errors, []);
  });
});
