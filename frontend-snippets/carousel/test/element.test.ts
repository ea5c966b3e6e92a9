import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PERSISTED_QUERY_IDS } from '../../core/persisted';
import type { EventInput, Recommendations } from '../../core/types';
import '../src/index';
import type { AffinityCarousel } from '../src/element';

const ranking: Recommendations = {
  recommendationId: 'rec-1',
  items: [
    {
      score: 0.9,
      reasons: [{ code: 'VIEWED_SIMILAR', message: 'Because you viewed Cream Heart Holder' }],
      product: { id: '85123A', title: 'White Hanging Heart T-Light Holder', price: 2.55, currency: 'GBP', imageUrl: '/i/85123A.svg', available: true },
    },
    {
      score: 0.8,
      reasons: [],
      product: { id: '71053', title: 'White Metal Lantern', price: 3.39, currency: 'GBP', imageUrl: null, url: '/lantern', available: true },
    },
    {
      score: 0.7,
      reasons: [{ code: 'POPULAR', message: 'Popular this week' }],
      product: { id: '84406B', handle: 'cupid-hanger', title: 'Cream Cupid Hearts Coat Hanger', price: 2.75, currency: 'GBP', available: true },
    },
  ],
};

let keyCounter = 0;
let beacons: { url: string; events: EventInput[] }[];
let observed: ((entries: Partial<IntersectionObserverEntry>[]) => void)[];

function respondWith(body: unknown, status = 200): ReturnType<typeof vi.fn> {
  const fetchMock = vi.fn(async () => new Response(JSON.stringify(body), { status }));
  vi.stubGlobal('fetch', fetchMock);
  return fetchMock;
}

function mount(attributes: Record<string, string>): AffinityCarousel {
  const element = document.createElement('affinity-carousel');
  element.setAttribute('storefront-key', `key-${++keyCounter}`);
  element.setAttribute('endpoint', 'https://affinity.test/graphql');
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  document.body.append(element);
  return element;
}

function settled(element: AffinityCarousel): Promise<string> {
  return new Promise((resolve) => {
    element.addEventListener('affinity:load', () => resolve('load'), { once: true });
    element.addEventListener('affinity:error', () => resolve('error'), { once: true });
  });
}

const shadow = (element: AffinityCarousel): ShadowRoot => element.shadowRoot as ShadowRoot;
const sentEvents = (): EventInput[] => beacons.flatMap((beacon) => beacon.events);
/** The first ranking query: by GET (a persisted query, its variables in the URL) or by POST. */
function requestBody(fetchMock: ReturnType<typeof vi.fn>): { method: string; id: string | null; variables: Record<string, unknown> } {
  const [url, init] = fetchMock.mock.calls[0] as [string, RequestInit];
  if (init.method === 'GET') {
    const params = new URL(url).searchParams;
    return { method: 'GET', id: params.get('id'), variables: JSON.parse(params.get('variables') ?? '{}') };
  }
  return { method: String(init.method), id: null, variables: JSON.parse(String(init.body)).variables };
}

beforeEach(() => {
  beacons = [];
  observed = [];
  localStorage.clear();
  document.body.replaceChildren();
  Object.defineProperty(navigator, 'sendBeacon', {
    configurable: true,
    value: vi.fn((url: string, body: string) => {
      beacons.push({ url, events: JSON.parse(body).events });
      return true;
    }),
  });
  vi.stubGlobal(
    'IntersectionObserver',
    class {
      constructor(callback: (entries: Partial<IntersectionObserverEntry>[]) => void) {
        observed.push(callback);
      }
      observe(): void {}
      disconnect(): void {}
    },
  );
});

afterEach(() => {
  vi.unstubAllGlobals();
  delete (window as { Shopify?: unknown }).Shopify;
});

describe('<affinity-carousel>', () => {
  it('shows a skeleton of fixed size, then one card per product', async () => {
    respondWith({ data: { recommendations: ranking } });
    const element = mount({ placement: 'HOME', first: '3', 'product-url': '/demo/products/{id}', locale: 'en-GB' });
    expect(shadow(element).querySelectorAll('.skeleton')).toHaveLength(3);
    expect(shadow(element).querySelector('section')?.getAttribute('aria-busy')).toBe('true');

    expect(await settled(element)).toBe('load');
    const cards = shadow(element).querySelectorAll('li.card:not(.skeleton)');
    expect(cards).toHaveLength(3);
    const first = cards[0] as HTMLElement;
    expect(first.querySelector('.title')?.textContent).toBe('White Hanging Heart T-Light Holder');
    expect(first.querySelector('.price')?.textContent).toBe('£2.55');
    expect(first.querySelector('a')?.getAttribute('href')).toBe('/demo/products/85123A');
    expect(first.querySelector('img')?.getAttribute('src')).toBe('/i/85123A.svg');
    expect(shadow(element).querySelector('section')?.getAttribute('aria-busy')).toBe('false');
    expect(shadow(element).querySelector('h2')?.textContent).toBe('Recommended for you');
  });

  it('shows catalog text as text, never as markup', async () => {
    const hostile = structuredClone(ranking);
    (hostile.items[0] as { product: { title: string } }).product.title = '<img src=x onerror="alert(1)">';
    respondWith({ data: { recommendations: hostile } });
    const element = mount({});
    await settled(element);
    expect(shadow(element).querySelector('.title')?.textContent).toBe('<img src=x onerror="alert(1)">');
    expect(shadow(element).querySelectorAll('img[src="x"]')).toHaveLength(0);
  });

  it('exposes parts for theming', async () => {
    respondWith({ data: { recommendations: ranking } });
    const element = mount({});
    await settled(element);
    for (const part of ['carousel', 'heading', 'track', 'card', 'link', 'image', 'title', 'price', 'why', 'dismiss', 'reasons']) {
      expect(shadow(element).querySelector(`[part~="${part}"]`), part).not.toBeNull();
    }
  });

  it('without consent asks anonymously and sends no events', async () => {
    const fetchMock = respondWith({ data: { recommendations: ranking } });
    const element = mount({ placement: 'PRODUCT', 'product-id': '22423' });
    await settled(element);
    expect(requestBody(fetchMock).variables).not.toHaveProperty('visitorId');
    expect(requestBody(fetchMock)).toMatchObject({ method: 'GET', id: PERSISTED_QUERY_IDS.anonymousRecommendations });
    observed.forEach((callback) => callback([{ isIntersecting: true }]));
    shadow(element).querySelector<HTMLAnchorElement>('a.link')?.click();
    window.dispatchEvent(new Event('pagehide'));
    expect(beacons).toEqual([]);
    expect(localStorage.length).toBe(0);
  });

  it('with consent reports views, clicks and dismissals with the ranking id', async () => {
    const fetchMock = respondWith({ data: { recommendations: ranking } });
    const element = mount({ placement: 'PRODUCT', 'product-id': '22423', consent: 'granted', 'product-url': '/p/{id}' });
    await settled(element);
    const { variables, method } = requestBody(fetchMock);
    expect(method).toBe('POST'); // personalized: never by a cacheable GET
    expect(variables).toMatchObject({ placement: 'PRODUCT', productIds: ['22423'] });
    expect(variables.visitorId).toBe(localStorage.getItem('affinity.visitorId'));

    observed.forEach((callback) => callback([{ isIntersecting: true }]));
    const link = shadow(element).querySelector<HTMLAnchorElement>('a.link');
    link?.addEventListener('click', (event) => event.preventDefault());
    link?.click();
    expect(beacons.at(-1)?.url).toBe(`https://affinity.test/collect?key=key-${keyCounter}`);

    shadow(element).querySelector<HTMLButtonElement>('[data-action="dismiss"]')?.click();
    window.dispatchEvent(new Event('pagehide'));
    const events = sentEvents();
    expect(events.map((event) => event.type)).toEqual(['PRODUCT_VIEWED', 'RECOMMENDATIONS_VIEWED', 'PRODUCT_CLICKED', 'PRODUCT_DISMISSED']);
    expect(events[0]).toMatchObject({ productId: '22423' });
    expect(events[2]).toMatchObject({ productId: '85123A', recommendationId: 'rec-1', consent: { analytics: true, personalization: true } });
    expect(events[3]).toMatchObject({ productId: '85123A', recommendationId: 'rec-1' });
    expect(new Set(events.map((event) => event.visitorId)).size).toBe(1);
    expect(shadow(element).querySelectorAll('li.card')).toHaveLength(2);
    expect(shadow(element).querySelector('[role="status"]')?.textContent).toContain('White Hanging Heart');
  });

  it('tracks a list from a shared cache without a ranking id', async () => {
    const { recommendationId: _none, ...cached } = ranking;
    const fetchMock = respondWith({ data: { recommendations: cached } });
    const element = mount({ placement: 'HOME', consent: 'analytics' });
    expect(await settled(element)).toBe('load');
    expect(requestBody(fetchMock).method).toBe('GET');
    observed.forEach((callback) => callback([{ isIntersecting: true }]));
    shadow(element).querySelector<HTMLButtonElement>('[data-action="dismiss"]')?.click();
    window.dispatchEvent(new Event('pagehide'));
    const events = sentEvents();
    expect(events.map((event) => event.type)).toEqual(expect.arrayContaining(['RECOMMENDATIONS_VIEWED', 'PRODUCT_DISMISSED']));
    expect(events.every((event) => !event.recommendationId)).toBe(true);
  });

  it("follows Shopify's Customer Privacy API", async () => {
    const allowed = { analytics: false, preferences: false };
    (window as { Shopify?: unknown }).Shopify = {
      customerPrivacy: {
        analyticsProcessingAllowed: () => allowed.analytics,
        preferencesProcessingAllowed: () => allowed.preferences,
      },
    };
    const fetchMock = respondWith({ data: { recommendations: ranking } });
    const element = mount({});
    await settled(element);
    expect(requestBody(fetchMock).variables).not.toHaveProperty('visitorId');

    allowed.analytics = true;
    allowed.preferences = true;
    const reloaded = settled(element);
    document.dispatchEvent(new CustomEvent('visitorConsentCollected', { detail: { analyticsAllowed: true } }));
    await reloaded;
    expect(JSON.parse(String((fetchMock.mock.calls[1] as [string, RequestInit])[1].body)).variables.visitorId).toBeTruthy();
    shadow(element).querySelector<HTMLButtonElement>('[data-action="dismiss"]')?.click();
    window.dispatchEvent(new Event('pagehide'));
    expect(sentEvents().map((event) => event.type)).toEqual(['PRODUCT_DISMISSED']);
  });

  it('explains each card', async () => {
    respondWith({ data: { recommendations: ranking } });
    const element = mount({});
    await settled(element);
    const why = shadow(element).querySelector<HTMLButtonElement>('[data-action="why"]') as HTMLButtonElement;
    const panel = shadow(element).getElementById(why.getAttribute('aria-controls') ?? '') as HTMLElement;
    expect(panel.hidden).toBe(true);
    why.click();
    expect(panel.hidden).toBe(false);
    expect(why.getAttribute('aria-expanded')).toBe('true');
    expect(panel.textContent).toContain('Because you viewed Cream Heart Holder');
    why.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
    expect(panel.hidden).toBe(true);
  });

  it('moves between cards with the arrow keys', async () => {
    respondWith({ data: { recommendations: ranking } });
    const element = mount({});
    await settled(element);
    const links = Array.from(shadow(element).querySelectorAll<HTMLElement>('.link'));
    links[0]?.focus();
    links[0]?.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true }));
    expect(shadow(element).activeElement).toBe(links[1]);
    links[1]?.dispatchEvent(new KeyboardEvent('keydown', { key: 'End', bubbles: true }));
    expect(shadow(element).activeElement).toBe(links[2]);
  });

  it.each([
    ['the API is down', () => respondWith({}, 503)],
    ['the key is refused', () => respondWith({ errors: [{ message: 'unknown key' }] }, 401)],
    ['nothing is recommended', () => respondWith({ data: { recommendations: { recommendationId: 'r', items: [] } } })],
    ['the network fails', () => vi.stubGlobal('fetch', vi.fn(async () => Promise.reject(new TypeError('offline'))))],
  ])('hides itself when %s', async (_case, arrange) => {
    arrange();
    const element = mount({});
    expect(await settled(element)).toBe('error');
    expect(element.hidden).toBe(true);
  });

  it('hides itself when the API is too slow', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn((_url: string, init: RequestInit) => new Promise((_resolve, reject) => init.signal?.addEventListener('abort', () => reject(new Error('aborted'))))),
    );
    const element = mount({ timeout: '30' });
    expect(await settled(element)).toBe('error');
    expect(element.hidden).toBe(true);
  });

  it('asks for similar products when told to', async () => {
    const fetchMock = respondWith({ data: { similarProducts: ranking } });
    const element = mount({ placement: 'PRODUCT', 'product-id': '22423', source: 'similar', 'no-product-view': '' });
    expect(await settled(element)).toBe('load');
    expect(requestBody(fetchMock)).toEqual({ method: 'GET', id: PERSISTED_QUERY_IDS.similarProducts, variables: { productId: '22423', first: 8 } });
    expect(shadow(element).querySelector('h2')?.textContent).toBe('Similar products');
  });
});

describe('naming the logged-in customer', () => {
  const TOKEN = 'v1.4102444800.MTIzNDc.c2lnbmF0dXJl';

  /** Every request the page made: ranking queries by fetch, events by beacon. */
  function browserRequests(fetchMock: ReturnType<typeof vi.fn>): { url: string; keyHeader: string | null; body: string }[] {
    const fetched = fetchMock.mock.calls.map(([url, init]) => ({
      url: String(url),
      keyHeader: new Headers((init as RequestInit).headers).get('X-Affinity-Storefront-Key'),
      body: String((init as RequestInit).body),
    }));
    const beaconed = beacons.map((beacon) => ({ url: beacon.url, keyHeader: null, body: JSON.stringify({ events: beacon.events }) }));
    return [...fetched, ...beaconed];
  }

  async function browse(attributes: Record<string, string>): Promise<ReturnType<typeof vi.fn>> {
    const fetchMock = respondWith({ data: { recommendations: ranking } });
    const element = mount({ placement: 'PRODUCT', 'product-id': '22423', consent: 'granted', ...attributes });
    await settled(element);
    observed.forEach((callback) => callback([{ isIntersecting: true }]));
    shadow(element).querySelector<HTMLButtonElement>('[data-action="dismiss"]')?.click();
    window.dispatchEvent(new Event('pagehide'));
    return fetchMock;
  }

  it('sends the customer token with the ranking query and every event', async () => {
    const fetchMock = await browse({ 'customer-token': TOKEN });
    const { variables } = requestBody(fetchMock);
    expect(variables.customerToken).toBe(TOKEN);
    expect(sentEvents().length).toBeGreaterThan(0);
    expect(sentEvents().every((event) => event.customerToken === TOKEN)).toBe(true);
  });

  it('never sends a raw customer id with the storefront key', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const fetchMock = await browse({ 'customer-id': '12347', 'customer-token': TOKEN });
    const requests = browserRequests(fetchMock);
    expect(requests.length).toBeGreaterThanOrEqual(2);
    for (const request of requests) {
      expect(request.url.includes('key=') || request.keyHeader !== null, request.url).toBe(true);
      expect(request.body).not.toContain('customerId');
      expect(request.body).not.toContain('12347');
      expect(request.url).not.toContain('12347');
    }
    warn.mockRestore();
  });

  it('asks as a guest when the page gives only a customer id', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const fetchMock = await browse({ 'customer-id': '12347' });
    expect(requestBody(fetchMock).variables).not.toHaveProperty('customerToken');
    for (const request of browserRequests(fetchMock)) expect(request.body).not.toMatch(/customerId|customerToken|12347/);
  });

  it('keeps the token out of the ranking query without personalization consent', async () => {
    const fetchMock = await browse({ 'customer-token': TOKEN, consent: 'analytics' });
    expect(requestBody(fetchMock).variables).not.toHaveProperty('customerToken');
  });

  it('lets the page track its own events with the token, never with a customer id', async () => {
    const { createTracker } = await import('../src/index');
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const options = { storefrontKey: 'sfk', endpoint: 'https://affinity.test/graphql', consent: () => ({ analytics: true, personalization: true }) };
    const withId = createTracker({ ...options, customerId: '12347' } as Parameters<typeof createTracker>[0]);
    withId.track('PRODUCT_ADDED_TO_CART', { productId: 'p1', quantity: 1, customerId: '12347' } as never);
    withId.flush();
    const withToken = createTracker({ ...options, customerToken: TOKEN });
    withToken.track('SEARCH_SUBMITTED', { query: 'lantern' }, true);
    const [guest, customer] = sentEvents();
    expect(guest).not.toHaveProperty('customerId');
    expect(guest).not.toHaveProperty('customerToken');
    expect(customer).toMatchObject({ type: 'SEARCH_SUBMITTED', customerToken: TOKEN });
    expect(beacons.every((beacon) => !JSON.stringify(beacon.events).includes('12347'))).toBe(true);
  });
});
