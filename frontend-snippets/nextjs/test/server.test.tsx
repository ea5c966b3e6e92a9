// @vitest-environment node
import { renderToStaticMarkup } from 'react-dom/server';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cookieJar } from '../../test-support/fake-next';
import { fakeAffinity, ranking } from '../../test-support/ranking';
import { POST } from '../app/api/affinity/collect/route';
import { AffinityRecommendations, AffinityRecommendationsSkeleton } from '../components/affinity/recommendations';
import { getRecommendations } from '../lib/affinity';

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
    expect(init?.cache).toBe('no-store');
    expect(affinity.requests[0]?.headers.get('X-Affinity-Storefront-Key')).toBe('secret-key');
    expect(affinity.requests[0]?.body.variables).toEqual({ placement: 'PRODUCT', productIds: ['101'], first: 10 });
  });

  it('personalizes for a visitor who allowed it', async () => {
    const affinity = fakeAffinity();
    vi.stubGlobal('fetch', affinity.fetch);
    cookieJar.set('affinity_visitor', 'visitor-0002');
    await getRecommendations({ placement: 'HOME' });
    expect(affinity.requests[0]?.body.variables).toMatchObject({ placement: 'HOME', visitorId: 'visitor-0002' });
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
  it('relays events with the key added on the server', async () => {
    const upstream = vi.fn(async () => new Response('{"accepted":1,"rejected":[]}', { status: 202 }));
    vi.stubGlobal('fetch', upstream);
    const response = await POST(new Request('https://shop.test/api/affinity/collect', { method: 'POST', body: '{"events":[]}' }));
    expect(response.status).toBe(202);
    expect(String((upstream.mock.calls[0] as unknown as [URL])[0])).toBe('https://affinity.test/collect?key=secret-key');
  });
});
