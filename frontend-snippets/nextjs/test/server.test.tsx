// @vitest-environment node
import { renderToStaticMarkup } from 'react-dom/server';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cookieJar } from '../../test-support/next-headers';
import { fakeAffinity, ranking } from '../../test-support/ranking';
import { POST } from '../app/api/affinity/collect/route';
import { isValidElement, type ReactNode } from 'react';
import { AffinityRecommendations, AffinityRecommendationsSkeleton } from '../components/affinity/recommendations';
import { AffinityTracker } from '../components/affinity/tracker';
import { affinityCustomerToken, getRecommendations } from '../lib/affinity';
import { affinityCartAttribution, mergeCartAttributes } from '../lib/affinity/cart';

beforeEach(() => {
  cookieJar.clear();
  vi.stubEnv('AFFINITY_ENDPOINT', 'https://affinity.test/graphql');
  vi.stubEnv('AFFINITY_STOREFRONT_KEY', 'secret-key');
  vi.spyOn(console, 'error').mockImplementation(() => undefined);
});
afterEach(() => {
  vi.unstubAllEnvs();
  vi.unstubAllGlobals();
});

describe('getRecommendations', () => {
  it('asks anonymously without the consent cookie, and never from a cache', async () => {
    const affinity = fakeAffinity();
    vi.stubGlobal('fetch', vi.fn(affinity.fetch));
    await getRecommendations({ productId: 'gid://shopify/Product/101' });
    const init = vi.mocked(fetch).mock.calls[0]?.[1];
    expect(init?.cache).toBe('no-store'); // never kept by Next.js's own fetch cache
    expect(affinity.requests[0]?.method).toBe('GET'); // the shared ranking: cacheable on the way
    expect(affinity.requests[0]?.key).toBe('secret-key');
    expect(affinity.requests[0]?.variables).toEqual({ placement: 'PRODUCT', productIds: ['101'], first: 10 });
  });

  it('personalizes for a visitor who allowed it', async () => {
    const affinity = fakeAffinity();
    vi.stubGlobal('fetch', affinity.fetch);
    cookieJar.set('affinity_visitor', 'visitor-0002');
    await getRecommendations({ placement: 'HOME' });
    expect(affinity.requests[0]?.body.variables).toMatchObject({ placement: 'HOME', visitorId: 'visitor-0002' });
  });

  it('names the logged-in customer with the server key only', async () => {
    const affinity = fakeAffinity();
    vi.stubGlobal('fetch', affinity.fetch);
    cookieJar.set('affinity_visitor', 'visitor-0002');
    await getRecommendations({ placement: 'HOME', customerId: 'gid://shopify/Customer/12347' });
    vi.stubEnv('AFFINITY_SERVER_KEY', 'srk_private');
    await getRecommendations({ placement: 'HOME', customerId: 'gid://shopify/Customer/12347' });
    const [withoutServerKey, withServerKey] = affinity.requests;
    expect(withoutServerKey?.headers.get('X-Affinity-Storefront-Key')).toBe('secret-key');
    expect(withoutServerKey?.body.variables).not.toHaveProperty('customerId');
    expect(withServerKey?.headers.get('X-Affinity-Server-Key')).toBe('srk_private');
    expect(withServerKey?.headers.has('X-Affinity-Storefront-Key')).toBe(false);
    expect(withServerKey?.body.variables).toMatchObject({ visitorId: 'visitor-0002', customerId: '12347' });
  });

  it('mints the customer token for the client components', () => {
    expect(affinityCustomerToken('12347')).toBeNull();
    vi.stubEnv('AFFINITY_CUSTOMER_TOKEN_SECRET', 'cts_shop');
    const token = affinityCustomerToken('gid://shopify/Customer/12347');
    expect(token).toMatch(/^v1\.\d+\.MTIzNDc\.[\w-]{43}$/);
    expect(affinityCustomerToken(null)).toBeNull();
  });

  it('is null when Affinity is not configured or down', async () => {
    vi.stubGlobal('fetch', fakeAffinity({}, 500).fetch);
    await expect(getRecommendations()).resolves.toBeNull();
    vi.stubEnv('AFFINITY_STOREFRONT_KEY', '');
    await expect(getRecommendations()).resolves.toBeNull();
  });
});

describe('<AffinityRecommendations>', () => {
  it('renders tracked product tiles', async () => {
    vi.stubGlobal('fetch', fakeAffinity().fetch);
    const html = renderToStaticMarkup(await AffinityRecommendations({ productId: '55', heading: 'Related Products' }));
    expect(html).toContain('Related Products');
    expect(html).toContain('href="/product/heart-holder"');
    expect(html).toContain('data-affinity-product-id="101"');
    expect(html).toContain('data-affinity-dismiss="102"');
    expect(html).toContain('£3.39');
    expect(html).toContain('Because you viewed the Lantern');
    // The real next/image: it fills the card (an SVG is served as it is, not through the optimizer).
    expect(html).toMatch(/<img alt="Heart Holder"[^>]*data-nimg="fill"[^>]*src="\/h\.svg"/);
  });

  it('hands the client tracker a customer token, never the customer id', async () => {
    vi.stubGlobal('fetch', fakeAffinity().fetch);
    vi.stubEnv('AFFINITY_CUSTOMER_TOKEN_SECRET', 'cts_shop');
    cookieJar.set('affinity_visitor', 'visitor-0002');
    const tree = await AffinityRecommendations({ productId: '55', customerId: '12347' });
    const findTracker = (node: ReactNode): { props: Record<string, unknown> } | null => {
      if (!isValidElement<{ children?: ReactNode }>(node)) return null;
      if (node.type === AffinityTracker) return node as { props: Record<string, unknown> };
      const children = ([] as ReactNode[]).concat(node.props.children ?? []);
      return children.map(findTracker).find(Boolean) ?? null;
    };
    const tracker = findTracker(tree);
    expect(tracker?.props.customerToken).toMatch(/^v1\.\d+\.MTIzNDc\./);
    const { children: _markup, ...clientProps } = tracker?.props ?? {};
    expect(JSON.stringify(clientProps)).not.toContain('12347');
  });

  it('shows "Add to cart" on available products when given a cart action, and hands it to the tracker', async () => {
    vi.stubGlobal('fetch', fakeAffinity().fetch);
    const withoutAction = renderToStaticMarkup(await AffinityRecommendations({ productId: '55' }));
    expect(withoutAction).not.toContain('data-affinity-add');
    const addToCart = async () => undefined;
    const tree = await AffinityRecommendations({ productId: '55', addToCart });
    const html = renderToStaticMarkup(tree);
    expect(html).toContain('data-affinity-add="101"');
    expect(html).toContain('data-affinity-handle="heart-holder"');
    expect(html).toContain('aria-label="Add Metal Lantern to cart"');
    const tracker = (tree as { props: { children: ReactNode[] } }).props.children.find(
      (child) => isValidElement(child) && child.type === AffinityTracker,
    ) as { props: { addToCart?: unknown } } | undefined;
    expect(tracker?.props.addToCart).toBe(addToCart);
  });

  it('renders nothing when Affinity fails', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => Promise.reject(new TypeError('offline'))));
    expect(await AffinityRecommendations({ productId: '55' })).toBeNull();
  });

  it('has a skeleton for its Suspense boundary', () => {
    const html = renderToStaticMarkup(<AffinityRecommendationsSkeleton count={3} />);
    expect(html.match(/animate-pulse/g)).toHaveLength(3);
  });
});

describe('POST /api/affinity/collect', () => {
  it('relays events with the storefront key and the browser origin, never a raw customer id', async () => {
    const upstream = vi.fn(async (_url: URL, _init: RequestInit) => new Response('{"accepted":1,"rejected":[]}', { status: 202 }));
    vi.stubGlobal('fetch', upstream);
    vi.stubEnv('AFFINITY_SERVER_KEY', 'srk_private');
    const body = JSON.stringify({ events: [{ type: 'PRODUCT_VIEWED', visitorId: 'v', customerId: '12347', customerToken: 't' }] });
    await POST(new Request('https://shop.test/api/affinity/collect', { method: 'POST', body, headers: { Origin: 'https://shop.test' } }));
    const [url, init] = upstream.mock.calls[0] as [URL, RequestInit];
    expect(String(url)).toBe('https://affinity.test/collect?key=secret-key');
    expect(new Headers(init.headers).get('Origin')).toBe('https://shop.test');
    expect(new Headers(init.headers).has('X-Affinity-Server-Key')).toBe(false);
    expect(JSON.parse(String(init.body)).events).toEqual([{ type: 'PRODUCT_VIEWED', visitorId: 'v', customerToken: 't' }]);
  });

  it('relays events with the key added on the server', async () => {
    const upstream = vi.fn(async () => new Response('{"accepted":1,"rejected":[]}', { status: 202 }));
    vi.stubGlobal('fetch', upstream);
    const response = await POST(new Request('https://shop.test/api/affinity/collect', { method: 'POST', body: '{"events":[]}' }));
    expect(response.status).toBe(202);
    expect(String((upstream.mock.calls[0] as unknown as [URL])[0])).toBe('https://affinity.test/collect?key=secret-key');
  });
});

describe('the cart server action', () => {
  it("takes only Affinity's attributes from the browser, and keeps the cart's others", () => {
    const checked = affinityCartAttribution({
      lineAttributes: [{ key: '_affinity_rec', value: 'rec-7' }, { key: 'engraving', value: 'x' }],
      cartAttributes: [{ key: '_affinity_recs', value: 'rec-1,<script>,rec-7' }],
    });
    expect(checked).toEqual({
      lineAttributes: [{ key: '_affinity_rec', value: 'rec-7' }],
      cartAttributes: [{ key: '_affinity_recs', value: 'rec-1,rec-7' }],
    });
    expect(affinityCartAttribution({ lineAttributes: [{ key: '_affinity_rec', value: 'a,b' }] })).toEqual({ lineAttributes: [], cartAttributes: [] });
    expect(mergeCartAttributes([{ key: 'gift', value: 'yes' }], checked.cartAttributes)).toEqual([
      { key: 'gift', value: 'yes' },
      { key: '_affinity_recs', value: 'rec-1,rec-7' },
    ]);
  });
});
