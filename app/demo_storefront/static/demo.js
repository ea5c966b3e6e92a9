// @ts-check
/**
 * The demo shop's pages. One HTML page serves every route; this script shows the section
 * for the current path, fills it from the storefront API and points the carousels at it.
 */
import { setUpConsentBanner } from './consent.js';
import { fetchProduct, fetchProducts, loadConfig, money, readCart, rerank, writeCart } from './shop.js';

/**
 * @typedef {typeof import('../../../frontend-snippets/carousel/src/index')} AffinityModule
 * @typedef {import('../../../frontend-snippets/carousel/src/index').Tracker} Tracker
 * @typedef {import('./shop.js').Config} Config
 * @typedef {import('./shop.js').Product} Product
 */

const BUNDLE = '/demo/static/affinity-carousel.js';

/** @type {[RegExp, string][]} */
const ROUTES = [
  [/^\/demo\/?$/, 'home'],
  [/^\/demo\/products\/([^/]+)\/?$/, 'product'],
  [/^\/demo\/cart\/?$/, 'cart'],
  [/^\/demo\/search\/?$/, 'search'],
];

/** @returns {{ view: string, param: string }} */
function route() {
  for (const [pattern, view] of ROUTES) {
    const match = pattern.exec(location.pathname);
    if (match) return { view, param: decodeURIComponent(match[1] ?? '') };
  }
  return { view: 'home', param: '' };
}

/** @param {string} id */
const byId = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

/** @param {string} message */
function notify(message) {
  const notice = byId('notice');
  notice.textContent = message;
  notice.hidden = false;
}

/** @param {Product} product */
function tile(product) {
  const link = document.createElement('a');
  link.href = `/demo/products/${encodeURIComponent(product.id)}`;
  const image = Object.assign(document.createElement('img'), { src: product.imageUrl ?? '', alt: '', loading: 'lazy', width: 240, height: 240 });
  const title = Object.assign(document.createElement('span'), { className: 'tile-title', textContent: product.title });
  const price = Object.assign(document.createElement('span'), { className: 'tile-price', textContent: money(product.price, product.currency) });
  link.append(image, title, price);
  const item = Object.assign(document.createElement('li'), { className: 'tile' });
  item.append(link);
  return item;
}

/**
 * @param {HTMLElement} list
 * @param {Product[]} products
 */
function fillGrid(list, products) {
  list.replaceChildren(...products.map(tile));
}

/**
 * Point the carousels at the API last, once their other attributes are set.
 * @param {Config} config
 */
function startCarousels(config) {
  for (const carousel of document.querySelectorAll('affinity-carousel')) {
    carousel.setAttribute('endpoint', config.endpoint);
    carousel.setAttribute('storefront-key', config.storefrontKey);
  }
}

/** @param {Config} config */
async function showHome(config) {
  fillGrid(byId('catalog'), await fetchProducts(config, { first: 24 }));
}

/**
 * @param {Config} config
 * @param {Tracker} tracker
 * @param {string} id
 */
async function showProduct(config, tracker, id) {
  for (const carousel of document.querySelectorAll('affinity-carousel')) carousel.setAttribute('product-id', id);
  const product = await fetchProduct(config, id);
  if (!product) return notify('This product does not exist.');
  document.title = `${product.title} · Affinity demo shop`;
  /** @type {HTMLImageElement} */ (byId('product-image')).src = product.imageUrl ?? '';
  byId('product-title').textContent = product.title;
  byId('product-vendor').textContent = product.vendor ?? '';
  byId('product-type').textContent = product.productType ?? '';
  byId('product-price').textContent = money(product.price, product.currency);
  byId('product').setAttribute('aria-busy', 'false');
  const button = /** @type {HTMLButtonElement} */ (byId('add-to-cart'));
  button.disabled = false;
  button.addEventListener('click', () => {
    const lines = readCart();
    const line = lines.find((l) => l.id === product.id);
    if (line) line.quantity += 1;
    else lines.push({ id: product.id, title: product.title, price: product.price ?? null, currency: product.currency ?? null, imageUrl: product.imageUrl ?? null, quantity: 1 });
    writeCart(lines);
    tracker.track('PRODUCT_ADDED_TO_CART', { productId: product.id, quantity: 1 });
    byId('cart-message').textContent = 'Added to your cart.';
  });
}

/** @param {Tracker} tracker */
function showCart(tracker) {
  const lines = readCart();
  const list = byId('cart-lines');
  list.replaceChildren(
    ...lines.map((line) => {
      const item = document.createElement('li');
      const link = Object.assign(document.createElement('a'), { href: `/demo/products/${encodeURIComponent(line.id)}`, textContent: line.title });
      const remove = Object.assign(document.createElement('button'), { type: 'button', textContent: 'Remove' });
      remove.setAttribute('aria-label', `Remove ${line.title}`);
      remove.addEventListener('click', () => {
        writeCart(readCart().filter((l) => l.id !== line.id));
        tracker.track('PRODUCT_REMOVED_FROM_CART', { productId: line.id, quantity: line.quantity });
        showCart(tracker);
      });
      item.append(link, ` × ${line.quantity} · ${money((line.price ?? 0) * line.quantity, line.currency)} `, remove);
      return item;
    }),
  );
  const total = lines.reduce((sum, line) => sum + (line.price ?? 0) * line.quantity, 0);
  byId('cart-total').textContent = lines.length ? `Total: ${money(total, lines[0]?.currency)}` : 'Your cart is empty.';
  /** @type {HTMLButtonElement} */ (byId('checkout')).disabled = !lines.length;
  return lines;
}

/** @param {Tracker} tracker */
function setUpCheckout(tracker) {
  byId('checkout').addEventListener('click', () => {
    for (const line of readCart()) tracker.track('CHECKOUT_COMPLETED', { productId: line.id, quantity: line.quantity });
    tracker.flush();
    writeCart([]);
    showCart(tracker);
    notify('Thank you for your order! (Nothing was charged: this is a demo.)');
  });
}

/**
 * @param {Config} config
 * @param {AffinityModule} affinity
 * @param {Tracker} tracker
 */
async function showSearch(config, affinity, tracker) {
  const query = new URLSearchParams(location.search).get('q')?.trim() ?? '';
  /** @type {HTMLInputElement} */ (byId('search-query')).value = query;
  byId('search-title').textContent = query ? `Results for “${query}”` : 'Search';
  if (!query) return;
  tracker.track('SEARCH_SUBMITTED', { query });
  const consent = affinity.resolveConsent(null, /** @type {any} */ (window));
  const visitorId = consent.personalization ? affinity.visitorIdFor(consent) : null;
  const products = await rerank(config, query, await fetchProducts(config, { query, first: 24 }), visitorId);
  if (!products.length) notify(`No products match “${query}”.`);
  fillGrid(byId('results'), products);
  const context = products.slice(0, 5).map((p) => p.id).join(' ');
  document.querySelector('affinity-carousel')?.setAttribute('product-ids', context);
}

async function main() {
  setUpConsentBanner();
  writeCart(readCart());
  const { view, param } = route();
  for (const section of document.querySelectorAll('[data-view]')) {
    if (/** @type {HTMLElement} */ (section).dataset.view === view) /** @type {HTMLElement} */ (section).hidden = false;
    else section.remove();
  }
  /** @type {Config} */
  let config;
  try {
    config = await loadConfig();
  } catch (error) {
    document.querySelectorAll('affinity-carousel').forEach((carousel) => carousel.remove());
    return notify(error instanceof Error ? error.message : String(error));
  }
  /** @type {AffinityModule} */
  const affinity = await import(BUNDLE);
  const tracker = affinity.createTracker({ endpoint: config.endpoint, storefrontKey: config.storefrontKey });
  const pending = [];
  if (view === 'home') pending.push(showHome(config));
  if (view === 'product') pending.push(showProduct(config, tracker, param));
  if (view === 'cart') {
    const ids = showCart(tracker).map((line) => line.id);
    document.querySelector('affinity-carousel')?.setAttribute('product-ids', ids.join(' '));
    setUpCheckout(tracker);
  }
  if (view === 'search') await showSearch(config, affinity, tracker).catch((error) => notify(String(error)));
  startCarousels(config);
  await Promise.all(pending).catch((error) => notify(`The shop could not load: ${error instanceof Error ? error.message : error}`));
}

void main();
