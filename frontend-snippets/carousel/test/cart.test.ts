import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CLICKS_STORAGE_KEY } from '../../core/attribution';
import type { EventInput, Recommendations } from '../../core/types';
import '../src/index';
import type { AffinityCarousel } from '../src/element';

const ranking: Recommendations = {
  recommendationId: 'b2c1a4f09d3e4d6f8a7b5c3d2e1f0a9b',
  items: [
    { score: 0.9, reasons: [], product: { id: '7001', handle: 'heart-holder', title: 'Heart Holder', price: 2.55, currency: 'GBP', available: true } },
    { score: 0.8, reasons: [], product: { id: '7002', handle: 'lantern', title: 'Metal Lantern', price: 3.39, currency: 'GBP', available: false } },
    { score: 0.7, reasons: [], product: { id: '7003', title: 'No Handle', price: 1, currency: 'GBP', available: true } },
  ],
};
const REC = ranking.recommendationId;

interface Call {
  url: string;
  init: RequestInit;
  body: any;
}

let calls: Call[];
let beacons: EventInput[];
let cartStatus: number;

function shopify(root = '/'): void {
  (window as { Shopify?: unknown }).Shopify = { routes: { root } };
}

function mount(attributes: Record<string, string>): AffinityCarousel {
  const element = document.createElement('affinity-carousel');
  element.setAttribute('storefront-key', 'sfk');
  element.setAttribute('endpoint', 'https://affinity.test/graphql');
  element.setAttribute('product-url', '/products/{handle}');
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  document.body.append(element);
  return element;
}

function loaded(element: AffinityCarousel): Promise<void> {
  return new Promise((resolve) => element.addEventListener('affinity:load', () => resolve(), { once: true }));
}

function next(element: AffinityCarousel, name: string): Promise<CustomEvent> {
  return new Promise((resolve) => element.addEventListener(name, (event) => resolve(event as CustomEvent), { once: true }));
}

const shadow = (element: AffinityCarousel): ShadowRoot => element.shadowRoot as ShadowRoot;
const cartCalls = (path: string): Call[] => calls.filter((call) => new URL(call.url, 'https://shop.test').pathname === path);

beforeEach(() => {
  calls = [];
  beacons = [];
  cartStatus = 200;
  localStorage.clear();
  document.body.replaceChildren();
  Object.defineProperty(navigator, 'sendBeacon', {
    configurable: true,
    value: (_url: string, body: string) => {
      beacons.push(...JSON.parse(body).events);
      return true;
    },
  });
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
      const url = String(input);
      calls.push({ url, init, body: typeof init.body === 'string' ? JSON.parse(init.body) : null });
      const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status });
      if (url.startsWith('https://affinity.test/graphql')) return json({ data: { recommendations: ranking } });
      if (url.endsWith('/products/heart-holder.js')) return json({ variants: [{ id: 41, available: false }, { id: 42, available: true }] });
      if (url.endsWith('/cart/add.js')) return json({ items: [{ id: 42, quantity: 1 }] }, cartStatus);
      if (url.endsWith('/cart/update.js')) return json({ attributes: {} });
      return json({}, 404);
    }),
  );
});

afterEach(() => {
  vi.unstubAllGlobals();
  delete (window as { Shopify?: unknown }).Shopify;
});

describe('the carousel and the Shopify cart', () => {
  it('adds a recommended product through /cart/add.js with its ranking as a hidden line-item property', async () => {
    shopify();
    const element = mount({ consent: 'granted', 'add-to-cart': '' });
    await loaded(element);
    const buttons = shadow(element).querySelectorAll<HTMLButtonElement>('button[data-action="add"]');
    // Only products that are available and have a handle can be added.
    expect(buttons).toHaveLength(1);
    expect(buttons[0]?.getAttribute('aria-label')).toBe('Add Heart Holder to cart');

    const added = next(element, 'affinity:cart-add');
    buttons[0]?.click();
    expect((await added).detail).toMatchObject({ productId: '7001', variantId: '42', recommendationId: REC });

    expect(cartCalls('/cart/add.js').map((call) => call.body)).toEqual([
      { items: [{ id: 42, quantity: 1, properties: { _affinity_rec: REC } }] },
    ]);
    expect(cartCalls('/cart/update.js').map((call) => call.body)).toEqual([{ attributes: { _affinity_recs: REC } }]);
    expect(shadow(element).querySelector('[role="status"]')?.textContent).toBe('Heart Holder added to your cart.');
    window.dispatchEvent(new Event('pagehide'));
    expect(beacons.filter((event) => event.type === 'PRODUCT_ADDED_TO_CART')).toMatchObject([
      { productId: '7001', variantId: '42', quantity: 1, recommendationId: REC },
    ]);
  });

  it("names clicked rankings in the cart attribute, for the product page's own form", async () => {
    shopify('/fr/');
    localStorage.setItem(
      CLICKS_STORAGE_KEY,
      JSON.stringify([{ productId: '5000', recommendationId: 'a0000000000000000000000000000001', clickedAt: Date.now() - 1000 }]),
    );
    const element = mount({ consent: 'granted' });
    await loaded(element);
    expect(shadow(element).querySelector('button[data-action="add"]')).toBeNull();
    const link = shadow(element).querySelector<HTMLAnchorElement>('a[data-product-id="7001"]');
    link?.addEventListener('click', (event) => event.preventDefault());
    link?.click();

    const [update] = cartCalls('/fr/cart/update.js');
    expect(update?.body).toEqual({ attributes: { _affinity_recs: `a0000000000000000000000000000001,${REC}` } });
    expect(update?.init.keepalive).toBe(true);
    expect(JSON.parse(localStorage.getItem(CLICKS_STORAGE_KEY) ?? '[]')).toMatchObject([
      { productId: '5000' },
      { productId: '7001', recommendationId: REC },
    ]);
  });

  it('without analytics consent adds to the cart with no property and remembers nothing', async () => {
    shopify();
    localStorage.setItem(CLICKS_STORAGE_KEY, JSON.stringify([{ productId: '5000', recommendationId: REC, clickedAt: Date.now() }]));
    const element = mount({ consent: 'personalization', 'add-to-cart': '' });
    await loaded(element);
    const added = next(element, 'affinity:cart-add');
    shadow(element).querySelector<HTMLButtonElement>('button[data-action="add"]')?.click();
    await added;
    const link = shadow(element).querySelector<HTMLAnchorElement>('a[data-product-id="7001"]');
    link?.addEventListener('click', (event) => event.preventDefault());
    link?.click();

    expect(cartCalls('/cart/add.js').map((call) => call.body)).toEqual([{ items: [{ id: 42, quantity: 1 }] }]);
    expect(cartCalls('/cart/update.js')).toEqual([]);
    expect(localStorage.getItem(CLICKS_STORAGE_KEY)).toBeNull();
  });

  it('leaves the cart alone off Shopify, or when told to', async () => {
    // The Customer Privacy API alone (a page's own consent shim) does not make a Shopify theme.
    (window as { Shopify?: unknown }).Shopify = { customerPrivacy: { analyticsProcessingAllowed: () => true } };
    const element = mount({ consent: 'granted', 'add-to-cart': '' });
    await loaded(element);
    expect(shadow(element).querySelector('button[data-action="add"]')).toBeNull();
    const link = shadow(element).querySelector<HTMLAnchorElement>('a[data-product-id="7001"]');
    link?.addEventListener('click', (event) => event.preventDefault());
    link?.click();
    expect(calls.filter((call) => call.url.includes('/cart/'))).toEqual([]);
    // The click is still remembered for a cart added to later.
    expect(localStorage.getItem(CLICKS_STORAGE_KEY)).toContain(REC);

    shopify();
    element.setAttribute('cart', 'none');
    expect(shadow(element).querySelector('button[data-action="add"]')).toBeNull();
    element.setAttribute('cart', 'shopify');
    expect(shadow(element).querySelector('button[data-action="add"]')).not.toBeNull();
  });

  it('says so when the cart refuses', async () => {
    shopify();
    cartStatus = 422;
    const element = mount({ consent: 'granted', 'add-to-cart': '' });
    await loaded(element);
    const failed = next(element, 'affinity:cart-error');
    shadow(element).querySelector<HTMLButtonElement>('button[data-action="add"]')?.click();
    expect((await failed).detail).toMatchObject({ productId: '7001' });
    expect(shadow(element).querySelector('[role="status"]')?.textContent).toBe('Heart Holder could not be added to your cart.');
    window.dispatchEvent(new Event('pagehide'));
    expect(beacons.map((event) => event.type)).not.toContain('PRODUCT_ADDED_TO_CART');
  });
});
