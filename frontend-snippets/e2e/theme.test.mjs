// @ts-check
/**
 * The Shopify theme app extension, rendered as Shopify would render it: the "Recommendations"
 * app block and the "Affinity" app embed, through a Liquid engine, into the pages of a small
 * theme served from 127.0.0.1, with the extension's assets. Chromium loads them; the carousel
 * calls the real Affinity server (the embed's "Affinity server URL": there is no Shopify app
 * proxy here) and shows its cards. The Web Pixel, bundled from its source, posts to the same
 * server. Screenshots and the server log go to e2e/artifacts/.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, afterEach, before, describe, test } from 'node:test';
import { Liquid } from 'liquidjs';
import { chromium } from 'playwright-core';
import { build } from 'vite';
import { freePort, startServer } from './server.mjs';

/** @typedef {import('playwright-core').Browser} Browser */
/** @typedef {import('playwright-core').BrowserContext} BrowserContext */
/** @typedef {import('playwright-core').Page} Page */
/** @typedef {import('./server.mjs').RunningServer} RunningServer */
/** @typedef {{ platform_id: string, handle: string, title: string }} CatalogProduct */

const CHROMIUM = process.env.AFFINITY_CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = join(import.meta.dirname, 'artifacts');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const EXTENSION = join(import.meta.dirname, '..', 'shopify-app', 'extensions', 'affinity-theme');
const PIXEL_ENTRY = join(import.meta.dirname, '..', 'shopify-app', 'extensions', 'affinity-pixel', 'src', 'index.ts');
const CAROUSEL = 'affinity-carousel';
const ASSETS_PATH = '/cdn/extension-assets/';
const PLACEMENTS = ['HOME', 'PRODUCT', 'CART', 'SEARCH', 'POST_PURCHASE', 'EMAIL'];

const missingChromium = !existsSync(CHROMIUM);
if (missingChromium && process.env.CI === 'true') {
  throw new Error(`${CHROMIUM} is required under CI=true (apt-get install -y chromium)`);
}
const skip = missingChromium ? `no Chromium at ${CHROMIUM}: install Debian's chromium to run the browser tests` : false;

// ---------------------------------------------------------------------------------------
// The extension's Liquid, as Shopify renders it
// ---------------------------------------------------------------------------------------

const SCHEMA = /{%-?\s*schema\s*-?%}([\s\S]*?){%-?\s*endschema\s*-?%}/;

/**
 * A block file without its `{% schema %}` (Shopify renders none of it), and the schema.
 * @param {string} name
 */
function extensionBlock(name) {
  const text = readFileSync(join(EXTENSION, 'blocks', name), 'utf8');
  const found = SCHEMA.exec(text);
  assert.ok(found?.[1], `${name} has a {% schema %}`);
  return { source: text.replace(SCHEMA, ''), schema: JSON.parse(found[1]) };
}

/**
 * The settings a merchant gets by adding the block in the theme editor: each default.
 * @param {{ settings: { id: string, default?: unknown }[] }} schema
 */
function defaultSettings(schema) {
  return Object.fromEntries(schema.settings.map((setting) => [setting.id, setting.default ?? '']));
}

/** @param {string} file */
const readJson = (file) => JSON.parse(readFileSync(join(EXTENSION, 'locales', file), 'utf8'));
const storefrontStrings = readJson('en.default.json');
const schemaStrings = readJson('en.default.schema.json');

/**
 * A `t:` key's text in a locale file, or undefined.
 * @param {Record<string, any>} strings
 * @param {string} key
 */
const translated = (strings, key) => key.split('.').reduce((node, part) => node?.[part], strings);

const liquid = new Liquid({ strictFilters: true });
liquid.registerFilter('asset_url', (/** @type {string} */ name) => `${ASSETS_PATH}${name}`);
liquid.registerFilter('t', (/** @type {string} */ key) => {
  const text = translated(storefrontStrings, key);
  if (typeof text !== 'string') throw new Error(`no storefront translation for ${key}`);
  return text;
});

const recommendationsBlock = extensionBlock('recommendations.liquid');
const appEmbed = extensionBlock('app-embed.liquid');

/**
 * @typedef {{ template: 'index' | 'product' | 'cart', product?: CatalogProduct | null,
 *   cartProducts?: CatalogProduct[], blockSettings?: Record<string, unknown>,
 *   embedSettings?: Record<string, unknown>, storefrontKey?: string | null, embedOn?: boolean }} PageSpec
 */

/**
 * The Liquid objects of a page: its template, product and cart, the shop's locale, and the
 * app's metafield holding the storefront key.
 * @param {PageSpec} spec
 */
function liquidObjects(spec) {
  const items = (spec.cartProducts ?? []).map((p, index) => ({ product_id: p.platform_id, quantity: index + 1, title: p.title }));
  return {
    template: { name: spec.template },
    product: spec.product ? { id: spec.product.platform_id, handle: spec.product.handle, title: spec.product.title } : null,
    cart: { items, item_count: items.length, currency: { iso_code: 'GBP' } },
    request: { locale: { iso_code: 'en' }, design_mode: false },
    routes: { root_url: '/' },
    app: { metafields: { affinity: { storefront_key: spec.storefrontKey ? { value: spec.storefrontKey } : null } } },
  };
}

/** @param {PageSpec} spec */
async function renderBlock(spec) {
  return await liquid.parseAndRender(recommendationsBlock.source, {
    ...liquidObjects(spec),
    block: { id: 'recommendations-1', shopify_attributes: '', settings: { ...defaultSettings(recommendationsBlock.schema), ...spec.blockSettings } },
  });
}

/** @param {PageSpec} spec */
async function renderEmbed(spec) {
  return await liquid.parseAndRender(appEmbed.source, {
    ...liquidObjects(spec),
    block: { id: 'affinity-embed', shopify_attributes: '', settings: { ...defaultSettings(appEmbed.schema), ...spec.embedSettings } },
  });
}

/**
 * A theme's page: its own header and content, the app block in a section, the app embed at
 * the end of the body (its target) unless the merchant turned it off.
 * @param {PageSpec} spec
 */
async function renderPage(spec) {
  const title = spec.product?.title ?? (spec.template === 'cart' ? 'Your cart' : 'Gift shop');
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>body{font-family:system-ui,sans-serif;margin:0}header,main{padding:1rem 2rem}</style>
<script>window.Shopify = Object.assign(window.Shopify || {}, { shop: 'demo.myshopify.com', routes: { root: '/' }, currency: { active: 'GBP' } });</script>
</head>
<body>
<header><a href="/">Gift shop</a> · <a href="/cart">Cart</a></header>
<main>
<h1>${title}</h1>
<div class="shopify-section">${await renderBlock(spec)}</div>
</main>
${spec.embedOn === false ? '' : await renderEmbed(spec)}
</body>
</html>`;
}

// ---------------------------------------------------------------------------------------
// The theme's storefront on 127.0.0.1
// ---------------------------------------------------------------------------------------

/**
 * Serves the theme's pages, the extension's assets, and (as Shopify's CDN would) the product
 * images; records the Ajax cart API calls the carousel makes.
 * @param {{ port: number, affinity: RunningServer, products: CatalogProduct[], settings: () => Partial<PageSpec> }} options
 */
async function startTheme({ port, affinity, products, settings }) {
  /** @type {{ path: string, body: any }[]} */
  const cartCalls = [];
  const server = createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', `http://127.0.0.1:${port}`);
    const send = (/** @type {number} */ status, /** @type {string} */ type, /** @type {string | Buffer} */ body) => {
      response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      response.end(body);
    };
    try {
      if (request.method === 'POST' && url.pathname.startsWith('/cart/')) {
        let body = '';
        for await (const chunk of request) body += chunk;
        cartCalls.push({ path: url.pathname, body: body ? JSON.parse(body) : null });
        send(200, 'application/json', JSON.stringify({ items: [], attributes: {} }));
      } else if (url.pathname.startsWith(ASSETS_PATH)) {
        const name = url.pathname.slice(ASSETS_PATH.length);
        if (!/^[\w.-]+\.js$/.test(name) || !existsSync(join(EXTENSION, 'assets', name))) return send(404, 'text/plain', 'not found');
        send(200, 'text/javascript', readFileSync(join(EXTENSION, 'assets', name)));
      } else if (url.pathname.startsWith('/demo/images/')) {
        const image = await fetch(`${affinity.base}${url.pathname}`);
        send(image.status, image.headers.get('content-type') ?? 'image/svg+xml', Buffer.from(await image.arrayBuffer()));
      } else if (url.pathname === '/') {
        send(200, 'text/html', await renderPage({ template: 'index', ...settings() }));
      } else if (url.pathname === '/cart') {
        send(200, 'text/html', await renderPage({ template: 'cart', ...settings() }));
      } else if (url.pathname.startsWith('/products/')) {
        const handle = decodeURIComponent(url.pathname.slice('/products/'.length));
        const product = products.find((candidate) => candidate.handle === handle);
        if (!product) return send(404, 'text/plain', 'no such product');
        send(200, 'text/html', await renderPage({ template: 'product', ...settings(), product }));
      } else {
        send(404, 'text/plain', 'not found');
      }
    } catch (error) {
      send(500, 'text/plain', String(error));
    }
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(undefined)));
  return {
    base: `http://127.0.0.1:${port}`,
    cartCalls,
    stop: () => new Promise((resolve) => server.close(() => resolve(undefined))),
  };
}

// ---------------------------------------------------------------------------------------
// Without a browser: what the Liquid renders
// ---------------------------------------------------------------------------------------

/** @param {string} html */
const carouselAttributes = (html) => {
  const tag = /<affinity-carousel([\s\S]*?)>/.exec(html)?.[1] ?? '';
  return Object.fromEntries([...tag.matchAll(/([\w-]+)(?:="([^"]*)")?/g)].map((m) => [m[1], m[2] ?? '']));
};

describe('the theme app extension', () => {
  test('offers a block for the home, product and cart templates with placements Affinity serves', () => {
    const { schema } = recommendationsBlock;
    assert.equal(schema.target, 'section');
    assert.deepEqual(schema.enabled_on, { templates: ['index', 'product', 'cart'] });
    const placement = schema.settings.find((/** @type {any} */ s) => s.id === 'placement');
    for (const option of placement.options) {
      assert.ok(option.value === 'auto' || PLACEMENTS.includes(option.value), `${option.value} is not a placement`);
    }
    const count = schema.settings.find((/** @type {any} */ s) => s.id === 'count');
    assert.ok(count.min >= 1 && count.max <= 24 && count.default >= count.min && count.default <= count.max);
    assert.equal(appEmbed.schema.target, 'body');
    // Every t: key the theme editor shows has its English text.
    const keys = JSON.stringify([recommendationsBlock.schema, appEmbed.schema]).match(/"t:[\w.]+"/g) ?? [];
    assert.ok(keys.length > 0);
    for (const key of keys) assert.equal(typeof translated(schemaStrings, key.slice(3, -1)), 'string', key);
  });

  test('by default goes through the app proxy with the key stored at install', async () => {
    const html = await renderEmbed({ template: 'index', storefrontKey: 'sfk_installed' });
    assert.match(html, /<script\s+type="module"\s+src="\/cdn\/extension-assets\/affinity-carousel.js"/);
    assert.match(html, /data-endpoint="\/apps\/affinity\/graphql"/);
    assert.match(html, /data-collect-endpoint="\/apps\/affinity\/collect"/);
    assert.match(html, /data-storefront-key="sfk_installed"/);
    const direct = await renderEmbed({
      template: 'index',
      storefrontKey: 'sfk_installed',
      embedSettings: { affinity_url: ' https://affinity.example.com/ ', storefront_key: 'sfk_typed' },
    });
    assert.match(direct, /data-endpoint="https:\/\/affinity.example.com\/graphql"/);
    assert.match(direct, /data-collect-endpoint="https:\/\/affinity.example.com\/collect"/);
    assert.match(direct, /data-storefront-key="sfk_typed"/);
  });

  test("gives the carousel the page's product, the cart's lines and the merchant's settings", async () => {
    const lantern = { platform_id: '71053', handle: 'white-metal-lantern', title: 'White Metal Lantern' };
    const heart = { platform_id: '85123A', handle: 'heart', title: 'Heart' };
    const onProduct = carouselAttributes(await renderBlock({ template: 'product', product: lantern, cartProducts: [heart] }));
    assert.equal(onProduct.placement, 'PRODUCT');
    assert.equal(onProduct['product-id'], '71053');
    assert.equal(onProduct['product-ids'], undefined);
    assert.equal(onProduct.first, '8');
    assert.equal(onProduct.heading, 'You may also like');
    assert.equal(onProduct['product-url'], '/products/{handle}');
    assert.equal(onProduct.currency, 'GBP');
    assert.ok('no-product-view' in onProduct, 'the pixel reports product views');
    assert.ok(!('add-to-cart' in onProduct));

    const onCart = carouselAttributes(await renderBlock({ template: 'cart', cartProducts: [heart, lantern, heart] }));
    assert.equal(onCart.placement, 'CART');
    assert.equal(onCart['product-ids'], '85123A 71053');

    const chosen = carouselAttributes(await renderBlock({
      template: 'index',
      blockSettings: { placement: 'PRODUCT', heading: '"><script>alert(1)</script>', count: 4, add_to_cart: true },
    }));
    assert.equal(chosen.placement, 'PRODUCT');
    assert.equal(chosen['product-id'], undefined, 'no product on the home page');
    assert.equal(chosen.heading, '&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
    assert.equal(chosen.first, '4');
    assert.ok('add-to-cart' in chosen);
  });
});

// ---------------------------------------------------------------------------------------
// In Chromium, against the real server
// ---------------------------------------------------------------------------------------

describe('the theme app extension in Chromium', { skip }, () => {
  /** @type {RunningServer} */
  let affinity;
  /** @type {Browser} */
  let browser;
  /** @type {Awaited<ReturnType<typeof startTheme>>} */
  let theme;
  /** @type {CatalogProduct[]} */
  let products;
  /** What the theme's cart holds (its pages render it). */
  /** @type {CatalogProduct[]} */
  let themeCart = [];
  /** Whether the merchant turned the app embed on. */
  let embedOn = true;

  before(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    // The theme's origin is the demo shop's storefront origin: `affinity demo` registers
    // http://127.0.0.1:<AFFINITY_PORT> for it, so the carousel may call Affinity from there.
    const themePort = await freePort();
    process.env.AFFINITY_PORT = String(themePort);
    affinity = await startServer({ logFile: join(ARTIFACTS, 'theme-server.log') });
    products = await affinity.query(
      "SELECT platform_id, handle, title FROM products WHERE status = 'active' AND available = 1 AND handle IS NOT NULL ORDER BY id",
    );
    assert.ok(products.length >= 4, 'the demo shop has products');
    theme = await startTheme({
      port: themePort,
      affinity,
      products,
      // As the theme editor stores them: the block as added, the embed pointed at Affinity.
      settings: () => ({ storefrontKey: affinity.storefrontKey, embedSettings: { affinity_url: affinity.base }, cartProducts: themeCart, embedOn }),
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });

  after(async () => {
    await browser?.close();
    await theme?.stop();
    await affinity?.stop();
  });

  /** @type {BrowserContext[]} */
  const contexts = [];
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((context) => context.close()));
    themeCart = [];
    embedOn = true;
  });

  /**
   * A fresh visitor on the theme; with `consent`, Shopify's Customer Privacy API allows
   * analytics and personalization.
   * @param {{ consent?: boolean }} [options]
   */
  async function visitor(options = {}) {
    const context = await browser.newContext({ baseURL: theme.base, viewport: { width: 1280, height: 900 }, locale: 'en-GB' });
    contexts.push(context);
    if (options.consent) {
      await context.addInitScript(() => {
        const win = /** @type {any} */ (window);
        win.Shopify = { ...win.Shopify, customerPrivacy: { analyticsProcessingAllowed: () => true, preferencesProcessingAllowed: () => true } };
      });
    }
    // Why a carousel hid itself, for the test's message.
    await context.addInitScript(() => {
      document.addEventListener('affinity:error', (event) => {
        /** @type {any} */ (window).affinityError = /** @type {CustomEvent} */ (event).detail.reason;
      });
    });
    const page = await context.newPage();
    /**
     * Ranking requests: POSTed (personalized), or by GET as a persisted query (shared: the
     * variables and the storefront key in the URL).
     * @type {{ method: string, url: string, variables: any, key: string | null, headers: Record<string, string> }[]}
     */
    const rankings = [];
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (`${url.origin}${url.pathname}` !== `${affinity.base}/graphql`) return;
      const headers = request.headers();
      if (request.method() === 'POST') {
        const { variables } = JSON.parse(request.postData() ?? '{}');
        rankings.push({ method: 'POST', url: request.url(), variables, key: headers['x-affinity-storefront-key'] ?? null, headers });
      } else if (request.method() === 'GET') {
        const variables = JSON.parse(url.searchParams.get('variables') ?? '{}');
        rankings.push({ method: 'GET', url: request.url(), variables, key: url.searchParams.get('key'), headers });
      }
    });
    /** @type {Error[]} */
    const errors = [];
    page.on('pageerror', (error) => errors.push(error));
    return { page, rankings, errors };
  }

  /**
   * Wait until the carousel has shown its ranking; returns its id and product ids.
   * @param {Page} page
   * @returns {Promise<{ recommendationId: string, productIds: string[] }>}
   */
  async function loadedRanking(page) {
    const handle = await page.waitForFunction(
      (sel) => {
        const element = /** @type {any} */ (document.querySelector(sel));
        if (!element || element.hidden === undefined) return null;
        if (element.hidden) throw new Error(`${sel} hid itself: ${/** @type {any} */ (window).affinityError}`);
        const ranking = element.recommendations;
        return ranking ? { recommendationId: ranking.recommendationId, productIds: ranking.items.map((/** @type {any} */ i) => i.product.id) } : null;
      },
      CAROUSEL,
      { timeout: 15_000 },
    );
    return /** @type {any} */ (await handle.jsonValue());
  }

  test("the app block on a product page shows the carousel with the real server's cards", async () => {
    const product = /** @type {CatalogProduct} */ (products[0]);
    const { page, rankings, errors } = await visitor();
    await page.goto(`/products/${encodeURIComponent(product.handle)}`);
    const ranking = await loadedRanking(page);
    assert.ok(ranking.productIds.length >= 2, `only ${ranking.productIds.length} recommendations`);
    assert.ok(!ranking.productIds.includes(product.platform_id), 'the product itself is not recommended');

    // The ranking was asked of Affinity as the embed said, with the product as context.
    // No personalization consent: the shared ranking, by GET (cacheable on the way).
    assert.equal(rankings.length, 1);
    const [asked] = rankings;
    assert.equal(asked?.method, 'GET');
    assert.equal(asked?.key, affinity.storefrontKey);
    assert.equal(asked?.variables.placement, 'PRODUCT');
    assert.deepEqual(asked?.variables.productIds, [product.platform_id]);

    const cards = page.locator(`${CAROUSEL} li.card:not(.skeleton)`);
    assert.equal(await cards.count(), ranking.productIds.length);
    assert.equal(await page.locator(CAROUSEL).locator('h2').textContent(), 'You may also like');
    const first = cards.first();
    assert.match((await first.locator('.title').textContent()) ?? '', /\w/);
    assert.match((await first.locator('.price').textContent()) ?? '', /£\s?\d/);
    assert.match((await first.locator('a').getAttribute('href')) ?? '', /^\/products\/[^/]+$/);
    await page.waitForFunction((sel) => {
      const image = document.querySelector(sel)?.shadowRoot?.querySelector('img');
      return image instanceof HTMLImageElement && image.complete && image.naturalWidth > 0;
    }, CAROUSEL);
    await page.screenshot({ path: join(ARTIFACTS, 'theme-product.png'), fullPage: true });

    // No WCAG 2 A/AA violation inside the carousel (axe-core reads shadow DOM).
    await page.addScriptTag({ path: AXE });
    const violations = await page.evaluate(async (sel) => {
      const axe = /** @type {any} */ (window).axe;
      const results = await axe.run(sel, { runOnly: ['wcag2a', 'wcag2aa'] });
      return results.violations.map((/** @type {any} */ v) => `${v.id}: ${v.nodes.length} × ${v.help}`);
    }, CAROUSEL);
    assert.deepEqual(violations, []);
    assert.deepEqual(errors, []);
  });

  test("the app block on the cart page ranks for the cart's lines", async () => {
    const cartProducts = /** @type {CatalogProduct[]} */ (products.slice(1, 3));
    const { page, rankings, errors } = await visitor();
    themeCart = cartProducts;
    await page.goto('/cart');
    const ranking = await loadedRanking(page);
    assert.ok(ranking.productIds.length >= 1);
    assert.equal(rankings[0]?.method, 'POST');
    assert.equal(rankings[0]?.variables.placement, 'CART');
    assert.deepEqual(rankings[0]?.variables.productIds, cartProducts.map((p) => p.platform_id));
    assert.equal(await page.locator(CAROUSEL).locator('h2').textContent(), 'Goes well with your cart');
    await page.screenshot({ path: join(ARTIFACTS, 'theme-cart.png'), fullPage: true });
    assert.deepEqual(errors, []);
  });

  test("with consent, a click reaches Affinity's /collect and the Shopify cart", async () => {
    const { page, rankings, errors } = await visitor({ consent: true });
    await page.goto('/');
    const ranking = await loadedRanking(page);
    assert.equal(rankings[0]?.method, 'POST');
    assert.equal(rankings[0]?.variables.placement, 'HOME');
    assert.ok(rankings[0]?.variables.visitorId, 'a personalized ranking names the visitor');
    const clicked = ranking.productIds[0];
    await Promise.all([
      page.waitForURL('**/products/**'),
      page.locator(`${CAROUSEL} a[data-product-id="${clicked}"]`).click(),
    ]);
    const visitorId = await page.evaluate(() => localStorage.getItem('affinity.visitorId'));
    assert.ok(visitorId);
    /** @type {any[]} */
    let clicks = [];
    for (const deadline = Date.now() + 10_000; !clicks.length && Date.now() < deadline; ) {
      clicks = await affinity.query(
        "SELECT product_id, recommendation_id FROM events WHERE type = 'PRODUCT_CLICKED' AND visitor_id = ?",
        visitorId,
      );
      if (!clicks.length) await new Promise((r) => setTimeout(r, 200));
    }
    assert.deepEqual(clicks, [{ product_id: clicked, recommendation_id: ranking.recommendationId }]);
    // The clicked ranking is named in the cart attribute, for the order webhook to bring back.
    for (const deadline = Date.now() + 5000; !theme.cartCalls.length && Date.now() < deadline; ) {
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(theme.cartCalls.at(-1), { path: '/cart/update.js', body: { attributes: { _affinity_recs: ranking.recommendationId } } });
    await loadedRanking(page); // the product page's block
    assert.deepEqual(errors, []);
  });

  test('without the app embed the block stays empty and asks nothing', async () => {
    const { page, rankings, errors } = await visitor();
    embedOn = false;
    await page.goto('/');
    await page.waitForLoadState('networkidle');
    assert.equal(await page.evaluate(() => customElements.get('affinity-carousel')), undefined);
    assert.deepEqual(rankings, []);
    assert.deepEqual(errors, []);
  });

  test("the Web Pixel's events, bundled as Shopify CLI would, are stored by the real server with consent only", async () => {
    const [viewed, bought] = /** @type {[CatalogProduct, CatalogProduct]} */ (products.slice(3, 5));
    const pixel = await loadPixel({ collectUrl: `${affinity.base}/collect?key=${affinity.storefrontKey}`, origin: theme.base });
    const variant = (/** @type {CatalogProduct} */ p) => ({ id: `gid://shopify/ProductVariant/9${p.platform_id}`, product: { id: p.platform_id, title: p.title } });

    await pixel.publish('product_viewed', { productVariant: variant(bought) }); // before consent: never sent
    await pixel.collectConsent({ analyticsProcessingAllowed: true, preferencesProcessingAllowed: false });
    await pixel.publish('product_viewed', { productVariant: variant(viewed) });
    await pixel.publish('search_submitted', { searchResult: { query: 'lantern', productVariants: [] } });
    await pixel.publish('checkout_completed', {
      checkout: { token: 'tok', order: { id: 'gid://shopify/Order/8001' }, lineItems: [
        { quantity: 2, variant: variant(bought), properties: [{ key: '_affinity_rec', value: 'rec-from-cart' }] },
      ] },
    });

    assert.deepEqual(pixel.answers, [202, 202, 202], 'every beacon accepted');
    const visitorId = pixel.storage.get('affinity.visitorId');
    assert.ok(visitorId);
    const rows = await affinity.query(
      'SELECT type, product_id, variant_id, quantity, query, recommendation_id FROM events WHERE visitor_id = ? ORDER BY occurred_at, id',
      visitorId,
    );
    assert.deepEqual(rows, [
      { type: 'PRODUCT_VIEWED', product_id: viewed.platform_id, variant_id: `9${viewed.platform_id}`, quantity: null, query: null, recommendation_id: null },
      { type: 'SEARCH_SUBMITTED', product_id: null, variant_id: null, quantity: null, query: 'lantern', recommendation_id: null },
      { type: 'CHECKOUT_COMPLETED', product_id: bought.platform_id, variant_id: `9${bought.platform_id}`, quantity: 2, query: null, recommendation_id: 'rec-from-cart' },
    ]);
  });
});

/**
 * The Web Pixel bundled from its source (as Shopify CLI bundles it), run under the Web Pixels
 * contract with no consent yet; its beacons are real HTTP requests carrying the storefront's
 * origin, as the browser would send them.
 * @param {{ collectUrl: string, origin: string }} options
 */
async function loadPixel({ collectUrl, origin }) {
  const built = /** @type {any} */ (await build({
    configFile: false,
    logLevel: 'silent',
    build: { write: false, minify: false, target: 'es2022', lib: { entry: PIXEL_ENTRY, formats: ['es'], fileName: 'pixel' } },
  }));
  const code = (Array.isArray(built) ? built[0] : built).output[0].code;
  const dir = await mkdtemp(join(tmpdir(), 'affinity-pixel-'));
  const file = join(dir, 'pixel.mjs');
  await writeFile(file, code);

  /** @type {Map<string, ((event: any) => void)[]>} */
  const subscribers = new Map();
  /** @type {((event: any) => void)[]} */
  const consentSubscribers = [];
  /** @type {Map<string, string>} */
  const storage = new Map();
  /** @type {number[]} */
  const answers = [];
  const api = {
    settings: { collectUrl },
    analytics: { subscribe: (/** @type {string} */ name, /** @type {any} */ handler) => void subscribers.set(name, [...(subscribers.get(name) ?? []), handler]) },
    browser: {
      sendBeacon: async (/** @type {string} */ url, /** @type {string} */ body) => {
        const response = await fetch(url, { method: 'POST', body, headers: { origin, 'content-type': 'text/plain;charset=UTF-8' } });
        answers.push(response.status);
        return response.ok;
      },
      localStorage: {
        getItem: async (/** @type {string} */ key) => storage.get(key) ?? null,
        setItem: async (/** @type {string} */ key, /** @type {string} */ value) => void storage.set(key, value),
        removeItem: async (/** @type {string} */ key) => void storage.delete(key),
      },
    },
    init: {
      context: {},
      data: { shop: { myshopifyDomain: 'demo.myshopify.com', storefrontUrl: origin }, customer: null, cart: null },
      customerPrivacy: { analyticsProcessingAllowed: false, marketingAllowed: false, preferencesProcessingAllowed: false, saleOfDataAllowed: false },
    },
    customerPrivacy: { subscribe: (/** @type {string} */ name, /** @type {any} */ handler) => void (name === 'visitorConsentCollected' && consentSubscribers.push(handler)) },
  };
  /** @type {any} */ (globalThis).shopify = { extend: (/** @type {string} */ point, /** @type {(api: any) => void} */ extend) => point === 'WebPixel::Render' && extend(api) };
  await import(pathToFileURL(file).href);
  await rm(dir, { recursive: true, force: true });
  assert.deepEqual([...subscribers.keys()].sort(), ['checkout_completed', 'product_added_to_cart', 'product_viewed', 'search_submitted']);

  let seq = 0;
  /** Let the pixel's handlers, and their beacons, finish. */
  const settle = async () => {
    for (let before = -1; before !== answers.length; ) {
      before = answers.length;
      await new Promise((r) => setTimeout(r, 300));
    }
  };
  return {
    storage,
    answers,
    async publish(/** @type {string} */ name, /** @type {unknown} */ data) {
      seq += 1;
      const event = { id: `e2e-${Date.now()}-${seq}`, name, data, clientId: 'client-e2e', timestamp: new Date(Date.now() + seq).toISOString(), seq, type: 'standard' };
      for (const handler of subscribers.get(name) ?? []) handler(event);
      await settle();
    },
    async collectConsent(/** @type {Record<string, boolean>} */ customerPrivacy) {
      for (const handler of consentSubscribers) handler({ customerPrivacy });
      await settle();
    },
  };
}
