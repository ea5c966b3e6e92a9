/**
 * Order attribution through the cart. Shopify hands an order's line-item properties and cart
 * attributes back in its order webhooks, so the storefront writes there which recommendations
 * the shopper clicked: the line-item property `_affinity_rec` (the ranking the product was
 * clicked in) and the cart attribute `_affinity_recs` (every clicked ranking, most recent
 * last). Keys starting with `_` are hidden from shoppers.
 *
 * Clicks are remembered per product in first-party storage for the click window only, and
 * only while the visitor allows analytics, the consent every Affinity event needs: without it
 * nothing is remembered, what was remembered is forgotten, and carts carry nothing.
 */
import { affinityProductId } from './events';
import type { Consent } from './types';

/** The line-item property (Shopify's `properties`, the Storefront API's line `attributes`). */
export const LINE_PROPERTY = '_affinity_rec';

/** The cart attribute: comma-separated recommendation ids, most recent last. */
export const CART_ATTRIBUTE = '_affinity_recs';

/** How many clicked products, and so recommendation ids, a visitor's cart can name. */
export const MAX_REMEMBERED_CLICKS = 20;

/** Affinity's click-through window: an order more than 7 days after the click is not the click's. */
export const CLICK_WINDOW_MS = 7 * 24 * 60 * 60 * 1000;

/** Where the clicks are kept (localStorage, so they outlive the tab for the click window). */
export const CLICKS_STORAGE_KEY = 'affinity.recommendationClicks';

/** Recommendation ids are Affinity's (32 hex digits today); never a comma, never long. */
const RECOMMENDATION_ID = /^[\w-]{1,64}$/;
const MAX_PRODUCT_ID_LENGTH = 64;
/** A stored list past this size is not ours to parse. */
const MAX_STORED_LENGTH = 16 * 1024;

/** A key and value, as the Storefront API's `AttributeInput` and Hydrogen's cart lines take them. */
export interface CartAttribute {
  key: string;
  value: string;
}

/** One remembered click: product, the ranking it was clicked in, and when (ms since epoch). */
export interface RecommendationClick {
  productId: string;
  recommendationId: string;
  clickedAt: number;
}

export interface ClickStoreOptions {
  /** Where clicks are kept; `localStorage` by default, none when storage is unavailable. */
  store?: Storage | null;
  /** The current time in ms since the epoch. */
  now?: number;
}

function defaultStore(): Storage | null {
  try {
    return typeof window === 'undefined' ? null : window.localStorage;
  } catch {
    return null;
  }
}

export function isRecommendationId(value: unknown): value is string {
  return typeof value === 'string' && RECOMMENDATION_ID.test(value);
}

function productKey(productId: string): string | null {
  const key = affinityProductId(productId);
  return key && key.length <= MAX_PRODUCT_ID_LENGTH ? key : null;
}

function isClick(value: unknown): value is RecommendationClick {
  if (typeof value !== 'object' || value === null) return false;
  const { productId, recommendationId, clickedAt } = value as Record<string, unknown>;
  return (
    typeof productId === 'string' &&
    productId.length > 0 &&
    productId.length <= MAX_PRODUCT_ID_LENGTH &&
    isRecommendationId(recommendationId) &&
    typeof clickedAt === 'number' &&
    Number.isFinite(clickedAt)
  );
}

/** Clicks still inside the window, one per product, oldest first, at most the bound. */
function live(clicks: RecommendationClick[], now: number): RecommendationClick[] {
  const byProduct = new Map<string, RecommendationClick>();
  for (const click of clicks) {
    if (click.clickedAt > now || now - click.clickedAt > CLICK_WINDOW_MS) continue;
    const previous = byProduct.get(click.productId);
    if (!previous || previous.clickedAt <= click.clickedAt) byProduct.set(click.productId, click);
  }
  return [...byProduct.values()].sort((a, b) => a.clickedAt - b.clickedAt).slice(-MAX_REMEMBERED_CLICKS);
}

function read(store: Storage, now: number): RecommendationClick[] {
  try {
    const raw = store.getItem(CLICKS_STORAGE_KEY);
    if (!raw || raw.length > MAX_STORED_LENGTH) return [];
    const parsed: unknown = JSON.parse(raw);
    return Array.isArray(parsed) ? live(parsed.filter(isClick), now) : [];
  } catch {
    return [];
  }
}

function write(store: Storage, clicks: RecommendationClick[]): void {
  try {
    if (clicks.length) store.setItem(CLICKS_STORAGE_KEY, JSON.stringify(clicks));
    else store.removeItem(CLICKS_STORAGE_KEY);
  } catch {
    // Storage may refuse writes (quota, private mode): the cart then carries less, nothing breaks.
  }
}

/** Forget every remembered click (consent withdrawn). */
export function forgetRecommendationClicks(store: Storage | null = defaultStore()): void {
  try {
    store?.removeItem(CLICKS_STORAGE_KEY);
  } catch {
    // Nothing to forget when storage is unreachable.
  }
}

/**
 * Remember that `productId` was clicked (or added to the cart) in ranking `recommendationId`.
 * Returns whether it was kept: never without analytics consent, which also forgets earlier
 * clicks. A later click on the same product replaces the earlier one; the oldest clicks give
 * way past `MAX_REMEMBERED_CLICKS`, and clicks older than the click window are dropped.
 */
export function rememberRecommendationClick(
  productId: string,
  recommendationId: string,
  consent: Consent,
  { store = defaultStore(), now = Date.now() }: ClickStoreOptions = {},
): boolean {
  if (!store) return false;
  if (!consent.analytics) {
    forgetRecommendationClicks(store);
    return false;
  }
  const key = productKey(productId);
  if (!key || !isRecommendationId(recommendationId)) return false;
  const others = read(store, now).filter((click) => click.productId !== key);
  write(store, live([...others, { productId: key, recommendationId, clickedAt: now }], now));
  return true;
}

/** The remembered clicks, oldest first; none (and forgotten) without analytics consent. */
export function rememberedClicks(consent: Consent, { store = defaultStore(), now = Date.now() }: ClickStoreOptions = {}): RecommendationClick[] {
  if (!store) return [];
  if (!consent.analytics) {
    forgetRecommendationClicks(store);
    return [];
  }
  return read(store, now);
}

/** The ranking `productId` was last clicked in, within the window, or null. */
export function clickedRecommendationFor(productId: string, consent: Consent, options: ClickStoreOptions = {}): string | null {
  const key = productKey(productId);
  if (!key) return null;
  return rememberedClicks(consent, options).find((click) => click.productId === key)?.recommendationId ?? null;
}

/**
 * Recommendation ids for the cart attribute: each once, at its most recent place, most recent
 * last, at most `MAX_REMEMBERED_CLICKS`. `also` (a ranking being added from now) comes last.
 */
export function clickedRecommendationIds(consent: Consent, options: ClickStoreOptions & { also?: string | null } = {}): string[] {
  const ids = rememberedClicks(consent, options).map((click) => click.recommendationId);
  if (consent.analytics && isRecommendationId(options.also)) ids.push(options.also);
  return dedupeRecent(ids);
}

/** Each id once, kept at its last place; the last `MAX_REMEMBERED_CLICKS` of them. */
export function dedupeRecent(ids: readonly string[]): string[] {
  const seen = new Set<string>();
  const kept: string[] = [];
  for (let index = ids.length - 1; index >= 0; index--) {
    const id = ids[index] as string;
    if (seen.has(id)) continue;
    seen.add(id);
    kept.push(id);
  }
  return kept.reverse().slice(-MAX_REMEMBERED_CLICKS);
}

/** What an add to cart carries: the line's attribute and the cart's, each empty when there is none. */
export interface CartAttribution {
  /** `[{ key: '_affinity_rec', value }]` for the line, or `[]`. */
  lineAttributes: CartAttribute[];
  /** `[{ key: '_affinity_recs', value: 'id1,id2' }]` for the cart, or `[]`. */
  cartAttributes: CartAttribute[];
}

export const NO_ATTRIBUTION: CartAttribution = Object.freeze({
  lineAttributes: Object.freeze([]) as unknown as CartAttribute[],
  cartAttributes: Object.freeze([]) as unknown as CartAttribute[],
});

/**
 * The attribution of adding `productId` to the cart. `recommendationId` is the ranking the add
 * comes from (an add-to-cart button on a recommendation), else the product's remembered click.
 * Nothing without analytics consent.
 */
export function cartAttributionFor(
  productId: string,
  consent: Consent,
  options: ClickStoreOptions & { recommendationId?: string | null } = {},
): CartAttribution {
  if (!consent.analytics) {
    forgetRecommendationClicks(options.store === undefined ? defaultStore() : options.store);
    return NO_ATTRIBUTION;
  }
  const explicit = isRecommendationId(options.recommendationId) ? options.recommendationId : null;
  const own = explicit ?? clickedRecommendationFor(productId, consent, options);
  // The clicks in the order they happened; an add from a recommendation is the latest of them.
  const ids = clickedRecommendationIds(consent, { ...options, also: explicit });
  return {
    lineAttributes: own ? [{ key: LINE_PROPERTY, value: own }] : [],
    cartAttributes: ids.length ? [{ key: CART_ATTRIBUTE, value: ids.join(',') }] : [],
  };
}

/** The cart attribute alone, for a click that leads to a page whose own form adds to the cart. */
export function clickedCartAttributes(consent: Consent, options: ClickStoreOptions = {}): CartAttribute[] {
  const ids = clickedRecommendationIds(consent, options);
  return ids.length ? [{ key: CART_ATTRIBUTE, value: ids.join(',') }] : [];
}

/** `[{key, value}]` as Shopify's Ajax API takes `properties` and `attributes`: `{ key: value }`. */
export function attributesAsObject(attributes: readonly CartAttribute[]): Record<string, string> {
  return Object.fromEntries(attributes.map(({ key, value }) => [key, value]));
}

/**
 * An attribution sent by a browser (a form field, a server action's argument), checked on the
 * shop's server: only Affinity's two keys, valid recommendation ids, within the bounds.
 * Anything else is dropped, so a shopper's made-up value never reaches the cart.
 */
export function checkedCartAttribution(input: unknown): CartAttribution {
  if (typeof input !== 'object' || input === null) return NO_ATTRIBUTION;
  const { lineAttributes, cartAttributes } = input as Record<string, unknown>;
  const pick = (list: unknown, key: string): string | null => {
    if (!Array.isArray(list) || list.length > 4) return null;
    const found = list.find((item) => typeof item === 'object' && item !== null && (item as CartAttribute).key === key) as CartAttribute | undefined;
    return typeof found?.value === 'string' ? found.value : null;
  };
  const line = pick(lineAttributes, LINE_PROPERTY);
  const cart = pick(cartAttributes, CART_ATTRIBUTE);
  const ids = cart !== null && cart.length <= MAX_REMEMBERED_CLICKS * 65 ? dedupeRecent(cart.split(',').filter(isRecommendationId)) : [];
  return {
    lineAttributes: isRecommendationId(line) ? [{ key: LINE_PROPERTY, value: line }] : [],
    cartAttributes: ids.length ? [{ key: CART_ATTRIBUTE, value: ids.join(',') }] : [],
  };
}

/**
 * The cart's attributes with Affinity's set or replaced. The Storefront API's
 * `cartAttributesUpdate` replaces the whole set, so every other key the cart has is kept.
 */
export function mergeCartAttributes(
  existing: readonly CartAttribute[] | null | undefined,
  affinity: readonly CartAttribute[],
): CartAttribute[] {
  const replaced = new Set(affinity.map((attribute) => attribute.key));
  const kept = (existing ?? []).filter((attribute) => !replaced.has(attribute.key)).map(({ key, value }) => ({ key, value }));
  return [...kept, ...affinity.map(({ key, value }) => ({ key, value }))];
}
