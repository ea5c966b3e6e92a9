/**
 * Shopify's Ajax cart API (`/cart/add.js`, `/cart/update.js`) on Online Store themes: the
 * carousel's own add-to-cart, and the cart attribute that lets an order name the
 * recommendations clicked before it (see `core/attribution.ts`).
 */
import type { CartAttribute } from '../../core/attribution';
import { attributesAsObject } from '../../core/attribution';
import type { ShopifyWindow } from './consent';

/** Shopify's answer to `/products/<handle>.js`, the part read here. */
interface ShopifyProductJson {
  variants?: { id?: number | string; available?: boolean }[];
}

export class CartRequestError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'CartRequestError';
  }
}

/**
 * Where the Ajax cart API lives: `cart="shopify"` forces it, `cart="none"` turns it off, and
 * without the attribute an Online Store theme has it, known by `Shopify.routes` or
 * `Shopify.shop` (the Customer Privacy API alone, which other sites load too, is not enough).
 * Null when there is none.
 */
export function shopifyCartRoot(attribute: string | null, win: ShopifyWindow): string | null {
  const mode = attribute?.trim().toLowerCase() ?? null;
  if (mode === 'none' || mode === 'off') return null;
  if (mode !== 'shopify' && !win.Shopify?.routes && !win.Shopify?.shop) return null;
  const root = win.Shopify?.routes?.root ?? '/';
  // Same-origin paths only: a theme setting never sends the cart elsewhere.
  if (!root.startsWith('/') || root.startsWith('//')) return '/';
  return root.endsWith('/') ? root : `${root}/`;
}

async function postJson(url: string, body: object, fetchFn: typeof fetch, keepalive = false): Promise<unknown> {
  const response = await fetchFn(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify(body),
    credentials: 'same-origin',
    keepalive,
  });
  if (!response.ok) throw new CartRequestError('the cart refused the change', response.status);
  return response.json().catch(() => null);
}

/**
 * Set cart attributes with `/cart/update.js` (Shopify merges them with the cart's others). Sent
 * with `keepalive`, so it completes when a click navigates away. Never rejects.
 */
export async function updateCartAttributes(root: string, attributes: readonly CartAttribute[], fetchFn: typeof fetch = fetch): Promise<boolean> {
  if (!attributes.length) return false;
  try {
    await postJson(`${root}cart/update.js`, { attributes: attributesAsObject(attributes) }, fetchFn, true);
    return true;
  } catch {
    return false;
  }
}

/** The first available variant of the product with `handle`, from `/products/<handle>.js`. */
export async function firstAvailableVariant(root: string, handle: string, fetchFn: typeof fetch = fetch): Promise<string> {
  const response = await fetchFn(`${root}products/${encodeURIComponent(handle)}.js`, {
    headers: { Accept: 'application/json' },
    credentials: 'same-origin',
  });
  if (!response.ok) throw new CartRequestError('the product is not in this shop', response.status);
  const product = (await response.json()) as ShopifyProductJson;
  const variant = product.variants?.find((candidate) => candidate.available !== false && candidate.id !== undefined);
  if (variant?.id === undefined) throw new CartRequestError('the product is sold out');
  return String(variant.id);
}

export interface CartAddition {
  handle: string;
  quantity: number;
  /** Line-item properties (`_affinity_rec`); keys starting with `_` are hidden from shoppers. */
  properties: readonly CartAttribute[];
}

/** Add one product with `/cart/add.js`; resolves to the variant added and Shopify's answer. */
export async function addToShopifyCart(
  root: string,
  addition: CartAddition,
  fetchFn: typeof fetch = fetch,
): Promise<{ variantId: string; line: unknown }> {
  const variantId = await firstAvailableVariant(root, addition.handle, fetchFn);
  const numeric = Number(variantId);
  const item: Record<string, unknown> = { id: Number.isSafeInteger(numeric) ? numeric : variantId, quantity: addition.quantity };
  if (addition.properties.length) item.properties = attributesAsObject(addition.properties);
  const line = await postJson(`${root}cart/add.js`, { items: [item] }, fetchFn);
  return { variantId, line };
}
