// @ts-check
/** The demo shop's plumbing: configuration, GraphQL, and a cart kept in the browser. */

/**
 * @typedef {{ endpoint: string, storefrontKey: string }} Config
 * @typedef {{ id: string, title: string, vendor?: string | null, productType?: string | null,
 *   price?: number | null, currency?: string | null, imageUrl?: string | null }} Product
 * @typedef {{ id: string, title: string, price: number | null, currency: string | null,
 *   imageUrl: string | null, quantity: number }} CartLine
 */

const CART_KEY = 'demo.cart';
const PRODUCT_FIELDS = 'id title vendor productType price currency imageUrl';

/** @returns {Promise<Config>} */
export async function loadConfig() {
  const response = await fetch('/demo/config.json', { cache: 'no-store' });
  if (!response.ok) throw new Error('The demo shop is not set up yet: run `affinity demo` first.');
  return response.json();
}

/**
 * @param {Config} config
 * @param {string} query
 * @param {Record<string, unknown>} variables
 * @returns {Promise<any>}
 */
export async function graphql(config, query, variables) {
  const response = await fetch(config.endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Affinity-Storefront-Key': config.storefrontKey },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (!response.ok || body.errors) throw new Error(body.errors?.[0]?.message ?? `HTTP ${response.status}`);
  return body.data;
}

/**
 * @param {Config} config
 * @param {string} id
 * @returns {Promise<Product | null>}
 */
export async function fetchProduct(config, id) {
  const data = await graphql(config, `query($id: ID!) { product(id: $id) { ${PRODUCT_FIELDS} } }`, { id });
  return data.product;
}

/**
 * @param {Config} config
 * @param {{ first?: number, query?: string }} options
 * @returns {Promise<Product[]>}
 */
export async function fetchProducts(config, options) {
  const query = `query($first: Int, $query: String) { products(first: $first, query: $query) { ${PRODUCT_FIELDS} } }`;
  const data = await graphql(config, query, { first: options.first ?? 24, query: options.query ?? null });
  return data.products;
}

/**
 * Reorder search results for this visitor; the original order stands if anything fails.
 * @param {Config} config
 * @param {string} query
 * @param {Product[]} products
 * @param {string | null} visitorId
 * @returns {Promise<Product[]>}
 */
export async function rerank(config, query, products, visitorId) {
  if (!visitorId || products.length < 2) return products;
  try {
    const data = await graphql(
      config,
      `query($query: String!, $ids: [ID!]!, $visitorId: ID) {
        rerankSearch(query: $query, productIds: $ids, visitorId: $visitorId) { items { product { id } } } }`,
      { query, ids: products.map((p) => p.id), visitorId },
    );
    /** @type {string[]} */
    const order = data.rerankSearch.items.map((/** @type {{ product: { id: string } }} */ item) => item.product.id);
    const byId = new Map(products.map((p) => [p.id, p]));
    const ranked = order.flatMap((id) => byId.get(id) ?? []);
    return [...ranked, ...products.filter((p) => !order.includes(p.id))];
  } catch {
    return products;
  }
}

/** @returns {CartLine[]} */
export function readCart() {
  try {
    const lines = JSON.parse(localStorage.getItem(CART_KEY) ?? '[]');
    return Array.isArray(lines) ? lines : [];
  } catch {
    return [];
  }
}

/** @param {CartLine[]} lines */
export function writeCart(lines) {
  localStorage.setItem(CART_KEY, JSON.stringify(lines));
  const count = document.getElementById('cart-count');
  if (count) count.textContent = String(lines.reduce((sum, line) => sum + line.quantity, 0));
}

/**
 * @param {number | null | undefined} price
 * @param {string | null | undefined} currency
 */
export function money(price, currency) {
  if (typeof price !== 'number') return '';
  return new Intl.NumberFormat(document.documentElement.lang, { style: 'currency', currency: currency || 'GBP' }).format(price);
}
