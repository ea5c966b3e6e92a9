// @vitest-environment node
/**
 * The real Web Pixel (extensions/affinity-pixel/src/index.ts) run under a harness of the Web
 * Pixels contract: `register` hands it `analytics.subscribe`, `init` (context, data,
 * customerPrivacy), `browser` (sendBeacon, localStorage), `settings` and
 * `customerPrivacy.subscribe`; Shopify's customer events are published through it.
 */
import type { ExtensionApi } from '@shopify/web-pixels-extension';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { EventInput } from '../../core/types';

type Handler = (event: unknown) => void;
interface Privacy {
  analyticsProcessingAllowed: boolean;
  marketingAllowed: boolean;
  preferencesProcessingAllowed: boolean;
  saleOfDataAllowed: boolean;
}

const privacy = (analytics: boolean, preferences = false): Privacy => ({
  analyticsProcessingAllowed: analytics,
  marketingAllowed: false,
  preferencesProcessingAllowed: preferences,
  saleOfDataAllowed: false,
});

const SHOP = { myshopifyDomain: 'gift-shop.myshopify.com', storefrontUrl: 'https://gifts.example.com', name: 'Gifts', countryCode: 'GB' };

/** Shopify's side of the contract, as the pixel sees it. */
class WebPixelsHarness {
  readonly beacons: { url: string; body: string }[] = [];
  readonly storage = new Map<string, string>();
  readonly extensionPoints: string[] = [];
  #subscribers = new Map<string, Handler[]>();
  #consentSubscribers = new Map<string, Handler[]>();
  #seq = 0;

  constructor(
    readonly initialPrivacy: Privacy,
    readonly settings: Record<string, unknown> = {},
  ) {}

  api(): ExtensionApi {
    const storage = this.storage;
    const api = {
      settings: this.settings,
      analytics: {
        subscribe: (name: string, handler: Handler) => {
          this.#subscribers.set(name, [...(this.#subscribers.get(name) ?? []), handler]);
          return () => true;
        },
      },
      browser: {
        sendBeacon: async (url: string, body?: string) => {
          this.beacons.push({ url, body: body ?? '' });
          return true;
        },
        localStorage: {
          getItem: async (key: string) => storage.get(key) ?? null,
          setItem: async (key: string, value: string) => void storage.set(key, String(value)),
          removeItem: async (key: string) => void storage.delete(key),
          clear: async () => storage.clear(),
          key: async (index: number) => [...storage.keys()][index] ?? null,
          length: async () => storage.size,
        },
        cookie: { get: async () => '', set: async () => '' },
        sessionStorage: {},
      },
      init: {
        context: { document: { location: { origin: SHOP.storefrontUrl } }, navigator: {}, window: {} },
        data: { customer: null, cart: null, shop: SHOP, purchasingCompany: null },
        customerPrivacy: this.initialPrivacy,
      },
      _pixelInfo: {},
      customerPrivacy: {
        subscribe: (name: string, handler: Handler) => {
          this.#consentSubscribers.set(name, [...(this.#consentSubscribers.get(name) ?? []), handler]);
          return () => true;
        },
      },
    };
    return api as unknown as ExtensionApi;
  }

  /** Publish a standard event as Shopify would, then let the pixel's handlers finish. */
  async publish(name: string, data: unknown, timestamp = '2026-12-07T10:00:00.000Z'): Promise<string> {
    const id = `sh-${++this.#seq}`;
    const event = { id, name, data, clientId: 'client-1', timestamp, seq: this.#seq, type: 'standard', context: {} };
    for (const handler of this.#subscribers.get(name) ?? []) handler(event);
    await settle();
    return id;
  }

  async collectConsent(next: Privacy): Promise<void> {
    for (const handler of this.#consentSubscribers.get('visitorConsentCollected') ?? []) handler({ customerPrivacy: next });
    await settle();
  }

  subscribedTo(): string[] {
    return [...this.#subscribers.keys()].sort();
  }

  events(): EventInput[] {
    return this.beacons.flatMap((beacon) => (JSON.parse(beacon.body) as { events: EventInput[] }).events);
  }
}

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/** Load the real pixel under the harness, as Shopify's sandbox runs it. */
async function runPixel(harness: WebPixelsHarness): Promise<WebPixelsHarness> {
  vi.resetModules();
  vi.stubGlobal('shopify', {
    extend: (point: string, extend: (api: ExtensionApi) => void) => {
      harness.extensionPoints.push(point);
      extend(harness.api());
    },
  });
  await import('../extensions/affinity-pixel/src/index');
  return harness;
}

const variant = (productId: string, variantId: string) => ({
  id: variantId,
  title: 'Default',
  price: { amount: 12.5, currencyCode: 'GBP' },
  product: { id: productId, title: 'Lantern', vendor: 'Gifts', type: null, url: '/products/lantern', untranslatedTitle: 'Lantern' },
  image: null,
  sku: null,
  untranslatedTitle: null,
});

const PRODUCT_VIEWED = { productVariant: variant('71053', '4001') };
const ADDED = { cartLine: { quantity: 2, merchandise: variant('gid://shopify/Product/84406', 'gid://shopify/ProductVariant/4002'), cost: { totalAmount: { amount: 5.5, currencyCode: 'GBP' } } } };
const SEARCHED = { searchResult: { query: '  heart lantern ', productVariants: [] } };
const CHECKOUT = {
  checkout: {
    token: 'tok-1',
    order: { id: 'gid://shopify/Order/5550001', customer: null },
    lineItems: [
      { quantity: 1, variant: variant('71053', '4001'), properties: [{ key: '_affinity_rec', value: 'rec-42' }], title: 'Lantern' },
      { quantity: 3, variant: variant('84406', '4002'), properties: [{ key: '_affinity_rec', value: '<script>' }], title: 'Hanger' },
      { quantity: 1, variant: null, properties: [], title: 'Gift card' },
    ],
  },
};

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('the Affinity Web Pixel', () => {
  let harness: WebPixelsHarness;

  describe('with analytics consent', () => {
    beforeEach(async () => {
      harness = await runPixel(new WebPixelsHarness(privacy(true, true)));
    });

    it('registers for the Web Pixel extension point and the events it forwards', () => {
      expect(harness.extensionPoints).toEqual(['WebPixel::Render']);
      expect(harness.subscribedTo()).toEqual(['checkout_completed', 'product_added_to_cart', 'product_viewed', 'search_submitted']);
    });

    it("posts each event to the shop's app proxy in /collect's shape", async () => {
      const viewed = await harness.publish('product_viewed', PRODUCT_VIEWED);
      const added = await harness.publish('product_added_to_cart', ADDED);
      const searched = await harness.publish('search_submitted', SEARCHED);
      await harness.publish('checkout_completed', CHECKOUT);

      expect(new Set(harness.beacons.map((beacon) => beacon.url))).toEqual(new Set(['https://gifts.example.com/apps/affinity/collect']));
      const visitorId = harness.storage.get('affinity.visitorId');
      expect(visitorId).toMatch(/^[\w-]{8,}$/);
      const consent = { analytics: true, personalization: true };
      const occurredAt = '2026-12-07T10:00:00.000Z';
      expect(harness.events()).toEqual([
        { eventId: `pixel-${viewed}`, type: 'PRODUCT_VIEWED', visitorId, occurredAt, consent, productId: '71053', variantId: '4001' },
        { eventId: `pixel-${added}`, type: 'PRODUCT_ADDED_TO_CART', visitorId, occurredAt, consent, productId: '84406', variantId: '4002', quantity: 2 },
        { eventId: `pixel-${searched}`, type: 'SEARCH_SUBMITTED', visitorId, occurredAt, consent, query: 'heart lantern' },
        // One event per line with a product; the ranking only from a well-formed line property.
        { eventId: 'checkout-5550001-0', type: 'CHECKOUT_COMPLETED', visitorId, occurredAt, consent, productId: '71053', variantId: '4001', quantity: 1, recommendationId: 'rec-42' },
        { eventId: 'checkout-5550001-1', type: 'CHECKOUT_COMPLETED', visitorId, occurredAt, consent, productId: '84406', variantId: '4002', quantity: 3 },
      ]);
    });

    it('never names the customer itself: the app proxy does, from Shopify', async () => {
      await harness.publish('product_viewed', PRODUCT_VIEWED);
      expect(harness.beacons[0]?.body).not.toMatch(/customer/i);
    });

    it('sends nothing for events without a product or a query', async () => {
      await harness.publish('product_viewed', { productVariant: null });
      await harness.publish('product_added_to_cart', { cartLine: null });
      await harness.publish('search_submitted', { searchResult: { query: '   ', productVariants: [] } });
      await harness.publish('search_submitted', { searchResult: { query: 'x'.repeat(600), productVariants: [] } });
      await harness.publish('collection_viewed', { collection: { id: '9', title: 'Lights', productVariants: [] } });
      expect(harness.beacons).toEqual([]);
    });

    it('keeps the visitor id the storefront carousel already stored', async () => {
      harness.storage.set('affinity.visitorId', 'visitor-from-carousel');
      await harness.publish('product_viewed', PRODUCT_VIEWED);
      expect(harness.events()[0]?.visitorId).toBe('visitor-from-carousel');
    });

    it('stops, and forgets the visitor, once consent is withdrawn', async () => {
      await harness.publish('product_viewed', PRODUCT_VIEWED);
      await harness.collectConsent(privacy(false));
      await harness.publish('search_submitted', SEARCHED);
      expect(harness.events().map((event) => event.type)).toEqual(['PRODUCT_VIEWED']);
      expect(harness.storage.has('affinity.visitorId')).toBe(false);
    });
  });

  it('without consent posts nothing and stores nothing', async () => {
    harness = await runPixel(new WebPixelsHarness(privacy(false, true)));
    await harness.publish('product_viewed', PRODUCT_VIEWED);
    await harness.publish('product_added_to_cart', ADDED);
    await harness.publish('search_submitted', SEARCHED);
    await harness.publish('checkout_completed', CHECKOUT);
    expect(harness.beacons).toEqual([]);
    expect(harness.storage.size).toBe(0);
  });

  it('honours consent given later from then on, never for earlier events', async () => {
    harness = await runPixel(new WebPixelsHarness(privacy(false)));
    await harness.publish('product_viewed', PRODUCT_VIEWED);
    await harness.publish('search_submitted', SEARCHED);
    expect(harness.beacons).toEqual([]);

    await harness.collectConsent(privacy(true));
    const added = await harness.publish('product_added_to_cart', ADDED);
    expect(harness.events()).toEqual([
      expect.objectContaining({ eventId: `pixel-${added}`, type: 'PRODUCT_ADDED_TO_CART', consent: { analytics: true, personalization: false } }),
    ]);
  });

  it('posts to the collect URL of its settings', async () => {
    const collectUrl = 'https://affinity.example.com/collect?key=sfk_123';
    harness = await runPixel(new WebPixelsHarness(privacy(true), { collectUrl }));
    await harness.publish('product_viewed', PRODUCT_VIEWED);
    expect(harness.beacons.map((beacon) => beacon.url)).toEqual([collectUrl]);
  });

  it('sends nothing when its collect URL setting is not an http(s) URL', async () => {
    harness = await runPixel(new WebPixelsHarness(privacy(true), { collectUrl: 'javascript:alert(1)' }));
    await harness.publish('product_viewed', PRODUCT_VIEWED);
    expect(harness.beacons).toEqual([]);
  });
});
