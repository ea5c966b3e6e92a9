// @ts-check
/**
 * The carousel in a real headless Chromium against the real server and its demo shop.
 * Screenshots and the server log go to e2e/artifacts/.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { startServer } from './server.mjs';

/** @typedef {import('playwright-core').Browser} Browser */
/** @typedef {import('playwright-core').BrowserContext} BrowserContext */
/** @typedef {import('playwright-core').Page} Page */
/** @typedef {import('./server.mjs').RunningServer} RunningServer */

const CHROMIUM = process.env.AFFINITY_CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = join(import.meta.dirname, 'artifacts');
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const HOME_CAROUSEL = 'affinity-carousel[placement="HOME"]';
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

const missingChromium = !existsSync(CHROMIUM);
if (missingChromium && process.env.CI === 'true') {
  throw new Error(`${CHROMIUM} is required under CI=true (apt-get install -y chromium)`);
}
const skip = missingChromium ? `no Chromium at ${CHROMIUM}: install Debian's chromium to run the browser tests` : false;

describe('demo storefront in Chromium', { skip }, () => {
  /** @type {RunningServer} */
  let server;
  /** @type {Browser} */
  let browser;

  before(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    server = await startServer({ logFile: join(ARTIFACTS, 'server.log') });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  /** @type {BrowserContext[]} */
  const contexts = [];
  /** Every request a page made to Affinity (`/graphql`, `/collect`), whatever the test. */
  /** @type {{ url: string, body: string, headers: Record<string, string> }[]} */
  const affinityRequests = [];
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((context) => context.close()));
    // A browser holds only the public storefront key: it never names a customer by a raw id.
    const requests = affinityRequests.splice(0);
    for (const request of requests) {
      assert.ok(!request.body.includes('customerId') && !request.url.includes('customerId'), `${request.url} sent a raw customerId`);
      assert.ok(!('x-affinity-server-key' in request.headers), `${request.url} sent a server key`);
    }
  });

  /**
   * A fresh visitor: new cookies and storage.
   * @param {{ consent?: boolean, auditScripts?: boolean }} [options] accept the consent banner
   *   before anything loads; let the test inject audit scripts (axe) past the page's
   *   Content-Security-Policy, which allows the server's own scripts only
   * @returns {Promise<{ context: BrowserContext, page: Page, errors: Error[] }>}
   */
  async function visitor(options = {}) {
    const context = await browser.newContext({
      baseURL: server.base,
      viewport: { width: 1280, height: 900 },
      locale: 'en-GB',
      bypassCSP: options.auditScripts === true,
    });
    contexts.push(context);
    if (options.consent) {
      await context.addInitScript(() => localStorage.setItem('demo.trackingConsent', 'yes'));
    }
    const page = await context.newPage();
    page.on('request', (request) => {
      const { pathname } = new URL(request.url());
      if (pathname === '/graphql' || pathname === '/collect') {
        affinityRequests.push({ url: request.url(), body: request.postData() ?? '', headers: request.headers() });
      }
    });
    /** @type {Error[]} */
    const errors = [];
    page.on('pageerror', (error) => errors.push(error));
    return { context, page, errors };
  }

  /**
   * Wait until a carousel has shown its ranking; returns its id and product ids.
   * @param {Page} page
   * @param {string} selector
   * @returns {Promise<{ recommendationId: string, productIds: string[] }>}
   */
  async function loadedRanking(page, selector = HOME_CAROUSEL) {
    const handle = await page.waitForFunction(
      (sel) => {
        const element = /** @type {any} */ (document.querySelector(sel));
        if (!element || element.hidden === undefined) return null;
        if (element.hidden) throw new Error(`${sel} hid itself`);
        const ranking = element.recommendations;
        return ranking ? { recommendationId: ranking.recommendationId, productIds: ranking.items.map((/** @type {any} */ i) => i.product.id) } : null;
      },
      selector,
      { timeout: 15_000 },
    );
    return /** @type {any} */ (await handle.jsonValue());
  }

  /**
   * Poll the database until `check` accepts the rows (events are written asynchronously).
   * @param {string} sql
   * @param {unknown[]} params
   * @param {(rows: any[]) => boolean} check
   */
  async function eventually(sql, params, check) {
    const deadline = Date.now() + 10_000;
    let rows = await server.query(sql, ...params);
    while (!check(rows) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      rows = await server.query(sql, ...params);
    }
    return rows;
  }

  /** The number of stored events once earlier visitors' last beacons have landed. */
  async function settledEventCount() {
    const count = async () => (await server.query('SELECT COUNT(*) AS count FROM events'))[0].count;
    let previous = await count();
    for (;;) {
      await new Promise((r) => setTimeout(r, 1000));
      const current = await count();
      if (current === previous) return current;
      previous = current;
    }
  }

  test('the home carousel renders one card per recommended product, from live data', async () => {
    const { page, errors } = await visitor({ auditScripts: true });
    await page.goto('/demo');
    const ranking = await loadedRanking(page);
    assert.ok(ranking.productIds.length >= 4, `only ${ranking.productIds.length} recommendations`);
    const cards = page.locator(`${HOME_CAROUSEL} li.card:not(.skeleton)`);
    assert.equal(await cards.count(), ranking.productIds.length);
    const first = cards.first();
    assert.match((await first.locator('.title').textContent()) ?? '', /\w/);
    assert.match((await first.locator('.price').textContent()) ?? '', /[£$€]\s?\d/);
    assert.equal(await first.locator('a').getAttribute('href'), `/demo/products/${ranking.productIds[0]}`);
    await page.waitForFunction(
      (sel) => {
        const image = document.querySelector(sel)?.shadowRoot?.querySelector('img');
        return image instanceof HTMLImageElement && image.complete && image.naturalWidth > 0;
      },
      HOME_CAROUSEL,
    );

    // Keyboard: the arrow keys move between products; "Why this?" explains one.
    await first.locator('a').focus();
    await page.keyboard.press('ArrowRight');
    const focused = await page.evaluate((sel) => document.querySelector(sel)?.shadowRoot?.activeElement?.getAttribute('href'), HOME_CAROUSEL);
    assert.equal(focused, `/demo/products/${ranking.productIds[1]}`);
    await first.locator('[part~="why"]').click();
    assert.ok(await first.locator('[part~="reasons"]').isVisible());
    assert.match((await first.locator('[part~="reasons"]').textContent()) ?? '', /\w{3}/);
    await page.screenshot({ path: join(ARTIFACTS, 'home.png'), fullPage: true });

    // Screen readers: no WCAG 2 A/AA violation inside the carousel (axe-core reads shadow DOM).
    await page.addScriptTag({ path: AXE });
    const violations = await page.evaluate(async (sel) => {
      const axe = /** @type {any} */ (window).axe;
      const results = await axe.run(sel, { runOnly: ['wcag2a', 'wcag2aa'] });
      return results.violations.map((/** @type {any} */ v) => `${v.id}: ${v.nodes.length} × ${v.help}`);
    }, HOME_CAROUSEL);
    assert.deepEqual(violations, []);
    assert.deepEqual(errors, []);
  });

  test('a click on a recommendation is stored with its recommendationId', async () => {
    const { page } = await visitor({ consent: true });
    await page.goto('/demo');
    const ranking = await loadedRanking(page);
    const clicked = ranking.productIds[0];
    await Promise.all([
      page.waitForURL(`**/demo/products/${clicked}`),
      page.locator(`${HOME_CAROUSEL} a[data-product-id="${clicked}"]`).click(),
    ]);
    const visitorId = await page.evaluate(() => localStorage.getItem('affinity.visitorId'));
    assert.ok(visitorId, 'a visitor id is kept once consent is given');

    const clicks = await eventually(
      "SELECT product_id, recommendation_id, visitor_id FROM events WHERE type = 'PRODUCT_CLICKED' AND visitor_id = ?",
      [visitorId],
      (rows) => rows.length > 0,
    );
    assert.deepEqual(clicks, [{ product_id: clicked, recommendation_id: ranking.recommendationId, visitor_id: visitorId }]);
    const views = await eventually(
      "SELECT type, product_id, recommendation_id FROM events WHERE visitor_id = ? AND type IN ('RECOMMENDATIONS_VIEWED', 'PRODUCT_VIEWED')",
      [visitorId],
      (rows) => rows.length >= 2,
    );
    assert.ok(views.some((row) => row.type === 'RECOMMENDATIONS_VIEWED' && row.recommendation_id === ranking.recommendationId));
    assert.ok(views.some((row) => row.type === 'PRODUCT_VIEWED' && row.product_id === clicked));

    // "Not interested" on the product page sends the negative signal.
    const productCarousel = 'affinity-carousel[placement="PRODUCT"]:not([source])';
    const onProduct = await loadedRanking(page, productCarousel);
    await page.locator(`${productCarousel} li.card`).first().locator('[part~="dismiss"]').click();
    await page.screenshot({ path: join(ARTIFACTS, 'product.png'), fullPage: true });
    await page.goto('/demo/cart'); // leaving the page sends what is queued
    const dismissed = await eventually(
      "SELECT product_id, recommendation_id FROM events WHERE type = 'PRODUCT_DISMISSED' AND visitor_id = ?",
      [visitorId],
      (rows) => rows.length > 0,
    );
    assert.deepEqual(dismissed, [{ product_id: onProduct.productIds[0], recommendation_id: onProduct.recommendationId }]);
  });

  test("clicked recommendations reach a Shopify theme's cart, and the carousel's add to cart carries its ranking", async () => {
    const { context, page, errors } = await visitor({ consent: true });
    // As on an Online Store theme: Shopify's routes, and carousels with an "Add to cart" button.
    await context.addInitScript(() => {
      const win = /** @type {any} */ (window);
      win.Shopify = { ...win.Shopify, routes: { root: '/' } };
      new MutationObserver((records) => {
        for (const record of records) {
          for (const node of record.addedNodes) {
            if (node instanceof Element && node.localName === 'affinity-carousel') node.setAttribute('add-to-cart', '');
          }
        }
      }).observe(document, { childList: true, subtree: true });
    });
    // The shop's Ajax cart API, answered here: the demo server is no Shopify store.
    /** @type {{ path: string, body: any }[]} */
    const cartRequests = [];
    await page.route(/\/(cart\/(add|update)|products\/[^/]+)\.js$/, async (route) => {
      const request = route.request();
      const { pathname } = new URL(request.url());
      cartRequests.push({ path: pathname, body: request.postData() ? JSON.parse(request.postData() ?? '') : null });
      const body = pathname.startsWith('/products/') ? { variants: [{ id: 4242, available: true }] } : { items: [], attributes: {} };
      await route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(body) });
    });
    const cartCalls = (/** @type {string} */ path) => cartRequests.filter((request) => request.path === path).map((request) => request.body);

    await page.goto('/demo');
    const home = await loadedRanking(page);
    const clicked = home.productIds[0];
    await Promise.all([
      page.waitForURL(`**/demo/products/${clicked}`),
      page.locator(`${HOME_CAROUSEL} a[data-product-id="${clicked}"]`).click(),
    ]);
    // The click names its ranking in the cart attribute, for the product page's own form.
    for (const deadline = Date.now() + 5000; !cartCalls('/cart/update.js').length && Date.now() < deadline; ) {
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(cartCalls('/cart/update.js'), [{ attributes: { _affinity_recs: home.recommendationId } }]);

    const productCarousel = 'affinity-carousel[placement="PRODUCT"]:not([source])';
    const onProduct = await loadedRanking(page, productCarousel);
    const card = page.locator(`${productCarousel} li.card`).first();
    const added = page.evaluate(
      (sel) => new Promise((resolve) => document.querySelector(sel)?.addEventListener('affinity:cart-add', (event) => resolve(/** @type {CustomEvent} */ (event).detail), { once: true })),
      productCarousel,
    );
    await card.locator('[part~="add"]').click();
    assert.deepEqual(/** @type {any} */ (await added).recommendationId, onProduct.recommendationId);
    assert.deepEqual(cartCalls('/cart/add.js'), [{ items: [{ id: 4242, quantity: 1, properties: { _affinity_rec: onProduct.recommendationId } }] }]);
    assert.deepEqual(cartCalls('/cart/update.js').at(-1), {
      attributes: { _affinity_recs: [home.recommendationId, onProduct.recommendationId].join(',') },
    });
    assert.match((await page.locator(productCarousel).locator('[role="status"]').textContent()) ?? '', /added to your cart/);
    await page.screenshot({ path: join(ARTIFACTS, 'add-to-cart.png'), fullPage: true });

    const visitorId = await page.evaluate(() => localStorage.getItem('affinity.visitorId'));
    await page.goto('/demo/cart'); // leaving the page sends what is queued
    const adds = await eventually(
      "SELECT product_id, recommendation_id FROM events WHERE type = 'PRODUCT_ADDED_TO_CART' AND visitor_id = ?",
      [visitorId],
      (rows) => rows.length > 0,
    );
    assert.deepEqual(adds, [{ product_id: onProduct.productIds[0], recommendation_id: onProduct.recommendationId }]);
    assert.deepEqual(errors, []);
  });

  test('a logged-in customer is named by the token the shop signed, never by id', async () => {
    const { customerId, customerToken } = server;
    assert.ok(customerId && customerToken, '`affinity demo` printed the demo customer and a customer token');
    const { context, page, errors } = await visitor({ consent: true });
    // As a shop's page would render it: the token its server minted on every carousel.
    await context.addInitScript((token) => {
      new MutationObserver((records) => {
        for (const record of records) {
          for (const node of record.addedNodes) {
            if (node instanceof Element && node.localName === 'affinity-carousel') node.setAttribute('customer-token', token);
          }
        }
      }).observe(document, { childList: true, subtree: true });
    }, customerToken);
    /** @type {string[]} */
    const rankingBodies = [];
    page.on('request', (request) => {
      if (/recommendations\(/.test(request.postData() ?? '')) rankingBodies.push(request.postData() ?? '');
    });

    await page.goto('/demo');
    const ranking = await loadedRanking(page);
    assert.ok(rankingBodies.length > 0 && rankingBodies.every((body) => JSON.parse(body).variables.customerToken === customerToken));
    const clicked = ranking.productIds[0];
    await Promise.all([
      page.waitForURL(`**/demo/products/${clicked}`),
      page.locator(`${HOME_CAROUSEL} a[data-product-id="${clicked}"]`).click(),
    ]);
    const visitorId = await page.evaluate(() => localStorage.getItem('affinity.visitorId'));
    const clicks = await eventually(
      "SELECT customer_id FROM events WHERE type = 'PRODUCT_CLICKED' AND visitor_id = ?",
      [visitorId],
      (rows) => rows.length > 0,
    );
    assert.deepEqual(clicks, [{ customer_id: customerId }]);
    assert.deepEqual(errors, []);
  });

  test('viewing products changes the home carousel', async () => {
    const { page } = await visitor({ consent: true });
    await page.goto('/demo');
    const before = await loadedRanking(page);
    const visitorId = await page.evaluate(() => localStorage.getItem('affinity.visitorId'));

    // Browse one corner of the catalogue: a product and what is similar to it.
    await page.goto('/demo/search?q=lantern');
    await page.locator('#results a').first().waitFor();
    const browsed = (await page.locator('#results a').evaluateAll((links) => links.map((a) => a.getAttribute('href')))).slice(0, 3);
    for (const href of browsed) {
      await page.goto(/** @type {string} */ (href));
      await loadedRanking(page, 'affinity-carousel[placement="PRODUCT"]:not([source])');
    }
    await eventually(
      "SELECT product_id FROM events WHERE type = 'PRODUCT_VIEWED' AND visitor_id = ?",
      [visitorId],
      (rows) => rows.length >= browsed.length,
    );

    await page.goto('/demo');
    const afterBrowsing = await loadedRanking(page);
    assert.notEqual(afterBrowsing.recommendationId, before.recommendationId);
    assert.notDeepEqual(afterBrowsing.productIds, before.productIds, 'the home carousel did not change after browsing');
    await page.screenshot({ path: join(ARTIFACTS, 'home-after-browsing.png'), fullPage: true });
  });

  test('without consent no event leaves the browser and nothing is stored', async () => {
    const { page } = await visitor();
    /** @type {string[]} */
    const collected = [];
    /** @type {string[]} */
    const graphqlBodies = [];
    page.on('request', (request) => {
      if (new URL(request.url()).pathname === '/collect') collected.push(request.url());
      // A shared ranking goes by GET: its variables are in the URL.
      const url = new URL(request.url());
      if (url.pathname === '/graphql') graphqlBodies.push(request.postData() ?? url.searchParams.get('variables') ?? '');
    });
    const before = await settledEventCount();

    await page.goto('/demo');
    await page.locator('#consent-decline').click();
    const ranking = await loadedRanking(page);
    await page.locator(`${HOME_CAROUSEL} a[data-product-id="${ranking.productIds[0]}"]`).click();
    await page.waitForURL('**/demo/products/**');
    await loadedRanking(page, 'affinity-carousel[placement="PRODUCT"]:not([source])');
    await page.locator('#add-to-cart').click();
    await page.goto('/demo/search?q=bag');
    await page.locator('#results a').first().waitFor();
    await page.goto('/demo/cart');
    await page.locator('#cart-lines li').first().waitFor();
    await page.waitForFunction((sel) => {
      const element = /** @type {any} */ (document.querySelector(sel));
      return Boolean(element && (element.hidden === true || element.recommendations));
    }, 'affinity-carousel[placement="CART"]');
    // Whatever the page holds back is sent when it is hidden: hide it now rather than wait
    // for the collector's flush timer.
    await page.evaluate(() => window.dispatchEvent(new Event('pagehide')));

    assert.equal(await settledEventCount(), before);
    assert.deepEqual(collected, []);
    assert.ok(graphqlBodies.length > 0);
    assert.ok(graphqlBodies.every((body) => !body.includes('visitorId":"')), 'a ranking was asked for with a visitor id');
    assert.equal(await page.evaluate(() => localStorage.getItem('affinity.visitorId')), null);
  });

  /** Only the carousel's requests fail; the shop's own catalogue queries go through. */
  const isRanking = (/** @type {import('playwright-core').Request} */ request) =>
    /recommendations\(|similarProducts\(/.test(request.postData() ?? '') || new URL(request.url()).searchParams.has('id');
  /** @type {[string, (route: import('playwright-core').Route) => Promise<void>][]} */
  const outages = [
    ['down', (route) => route.abort('connectionrefused')],
    ['too slow', async (route) => {
      await new Promise((r) => setTimeout(r, 4500));
      await route.abort('timedout').catch(() => undefined);
    }],
  ];
  for (const [outage, fail] of outages) {
    test(`the carousel hides itself when the API is ${outage}`, async () => {
      const { page, errors } = await visitor();
      await page.route((url) => url.pathname === '/graphql', (route) => (isRanking(route.request()) ? fail(route) : route.continue()));
      await page.goto('/demo');
      await page.waitForFunction((sel) => /** @type {any} */ (document.querySelector(sel))?.hidden === true, HOME_CAROUSEL, { timeout: 10_000 });
      assert.equal(await page.locator(HOME_CAROUSEL).isVisible(), false);
      await page.locator('#catalog a').first().waitFor();
      assert.equal(await page.locator('#notice').isVisible(), false, 'the page itself is unaffected');
      assert.deepEqual(errors, []);
      await page.screenshot({ path: join(ARTIFACTS, `outage-${outage.replace(' ', '-')}.png`), fullPage: true });
      });
  }

  test('loading the carousel shifts no layout', async () => {
    const { context, page } = await visitor();
    await context.addInitScript(() => {
      const shifts = /** @type {{ value: number, sources: string[] }[]} */ ([]);
      Object.assign(window, { layoutShifts: shifts });
      new PerformanceObserver((list) => {
        for (const entry of /** @type {any[]} */ (list.getEntries())) {
          if (!entry.hadRecentInput) shifts.push({ value: entry.value, sources: (entry.sources ?? []).map((/** @type {any} */ s) => s.node?.nodeName ?? '?') });
        }
      }).observe({ type: 'layout-shift', buffered: true });
    });
    await page.goto('/demo', { waitUntil: 'domcontentloaded' });
    const box = async () => page.locator(HOME_CAROUSEL).boundingBox();
    const skeletonBox = await box();
    await loadedRanking(page);
    await page.waitForLoadState('networkidle');
    // The frame after the loaded carousel is painted, and its layout shifts reported.
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(resolve, 0)))));
    const loadedBox = await box();
    const shifts = /** @type {{ value: number, sources: string[] }[]} */ (await page.evaluate(() => /** @type {any} */ (window).layoutShifts));
    const total = shifts.reduce((sum, shift) => sum + shift.value, 0);
    assert.ok(total < 0.001, `layout shifted by ${total}: ${JSON.stringify(shifts)}`);
    assert.deepEqual(loadedBox, skeletonBox);
    await page.screenshot({ path: join(ARTIFACTS, 'no-layout-shift.png') });
  });
});
