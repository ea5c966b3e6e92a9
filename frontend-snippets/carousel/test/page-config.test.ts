import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { EventInput, Recommendations } from '../../core/types';
import '../src/index';
import type { AffinityCarousel } from '../src/element';
import { configured, pageSetting } from '../src/page-config';

const ranking: Recommendations = {
  recommendationId: 'rec-page-1',
  items: [{ score: 1, reasons: [], product: { id: '7001', handle: 'lantern', title: 'Lantern', price: 3, currency: 'EUR', available: true } }],
};

let beacons: { url: string; events: EventInput[] }[];
let fetchMock: ReturnType<typeof vi.fn>;

/** What `fetch` was called with for the ranking. */
const rankingCall = (): { url: string; init: RequestInit } => {
  const [url, init] = fetchMock.mock.calls[0] as [string, RequestInit];
  return { url, init };
};

function pageWith(settings: Record<string, string>): void {
  const script = document.createElement('script');
  script.type = 'module';
  script.setAttribute('data-affinity-config', '');
  for (const [name, value] of Object.entries(settings)) script.setAttribute(`data-${name}`, value);
  document.body.append(script);
}

function mount(attributes: Record<string, string>): Promise<AffinityCarousel> {
  const element = document.createElement('affinity-carousel');
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  const settled = new Promise<AffinityCarousel>((resolve, reject) => {
    element.addEventListener('affinity:load', () => resolve(element), { once: true });
    element.addEventListener('affinity:error', (event) => reject(new Error((event as CustomEvent).detail.reason)), { once: true });
  });
  document.body.prepend(element);
  return settled;
}

beforeEach(() => {
  beacons = [];
  localStorage.clear();
  document.body.replaceChildren();
  fetchMock = vi.fn(async () => new Response(JSON.stringify({ data: { recommendations: ranking } })));
  vi.stubGlobal('fetch', fetchMock);
  Object.defineProperty(navigator, 'sendBeacon', {
    configurable: true,
    value: vi.fn((url: string, body: string) => {
      beacons.push({ url, events: JSON.parse(body).events });
      return true;
    }),
  });
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("the page's carousel settings", () => {
  it('are read from the data-affinity-config element', () => {
    pageWith({ endpoint: ' /apps/affinity/graphql ', 'storefront-key': 'sfk_page' });
    expect(pageSetting(document, 'endpoint')).toBe('/apps/affinity/graphql');
    expect(pageSetting(document, 'storefront-key')).toBe('sfk_page');
    expect(pageSetting(document, 'collect-endpoint')).toBeNull();
  });

  it('ignore empty and oversized values', () => {
    pageWith({ endpoint: '   ', 'storefront-key': 'k'.repeat(5000) });
    expect(pageSetting(document, 'endpoint')).toBeNull();
    expect(pageSetting(document, 'storefront-key')).toBeNull();
  });

  it("give way to the element's own attributes", () => {
    pageWith({ endpoint: '/apps/affinity/graphql' });
    const element = document.createElement('affinity-carousel');
    expect(configured(element, 'endpoint')).toBe('/apps/affinity/graphql');
    element.setAttribute('endpoint', 'https://affinity.test/graphql');
    expect(configured(element, 'endpoint')).toBe('https://affinity.test/graphql');
  });

  it("send a block's ranking and events through the app proxy paths the embed names", async () => {
    pageWith({ endpoint: '/apps/affinity/graphql', 'collect-endpoint': '/apps/affinity/collect', 'storefront-key': 'sfk_embed' });
    const element = await mount({ placement: 'PRODUCT', consent: 'granted' });
    const { url, init } = rankingCall();
    expect(url).toBe('/apps/affinity/graphql');
    expect((init.headers as Record<string, string>)['X-Affinity-Storefront-Key']).toBe('sfk_embed');

    element.shadowRoot?.querySelector<HTMLAnchorElement>('a.link')?.click();
    const clicked = beacons.find((beacon) => beacon.events.some((event) => event.type === 'PRODUCT_CLICKED'));
    expect(clicked).toBeDefined();
    const collect = new URL(clicked?.url ?? '');
    expect(collect.origin).toBe(location.origin);
    expect(collect.pathname).toBe('/apps/affinity/collect');
    expect(collect.searchParams.get('key')).toBe('sfk_embed');
  });

  it('wait for a storefront key from neither the element nor the page, then hide', async () => {
    await expect(mount({ placement: 'HOME', timeout: '30' })).rejects.toThrow('missing storefront-key');
    expect(fetchMock).not.toHaveBeenCalled();
  });
});

describe("the shop's cookies", () => {
  // Through Shopify's app proxy the shop's cookies are how Shopify knows the logged-in customer.
  it('go with the ranking request to its own origin when the visitor allows personalization', async () => {
    await mount({ 'storefront-key': 'sfk', endpoint: '/apps/affinity/graphql', consent: 'analytics personalization' });
    expect(rankingCall().init.credentials).toBe('same-origin');
  });

  it('stay home without personalization consent', async () => {
    await mount({ 'storefront-key': 'sfk', endpoint: '/apps/affinity/graphql', consent: 'analytics' });
    expect(rankingCall().init.credentials).toBe('omit');
  });
});
