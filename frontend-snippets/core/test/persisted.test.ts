import { describe, expect, it, vi } from 'vitest';
import { AffinityRequestError, fetchRecommendations } from '../client';
import { PERSISTED_QUERY_IDS, persistedQueryFor } from '../persisted';

const items = [{ score: 1, reasons: [], product: { id: '2', title: 'Mug', available: true } }];
const cached = { data: { recommendations: { items } } };

interface Sent {
  url: string;
  init: RequestInit;
}

/** Answers GET with `getStatus` (and `getBody`), POST with a ranking; remembers both. */
function affinity(getStatus = 200, getBody: unknown = cached) {
  const sent: Sent[] = [];
  const fetch = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    sent.push({ url: String(input), init: init ?? {} });
    if (init?.method === 'GET') return new Response(JSON.stringify(getBody), { status: getStatus });
    return new Response(JSON.stringify({ data: { recommendations: { recommendationId: 'r-post', items } } }));
  });
  return { fetch: fetch as typeof globalThis.fetch, sent };
}

function query(url: string): URLSearchParams {
  return new URL(url, 'https://shop.test').searchParams;
}

describe('persistedQueryFor', () => {
  it('answers anonymous HOME and PRODUCT rankings and similar products', () => {
    expect(persistedQueryFor({ placement: 'HOME', visitorId: null, customerToken: null })).toEqual({
      id: PERSISTED_QUERY_IDS.anonymousRecommendations,
      variables: { placement: 'HOME', first: 12 },
    });
    expect(persistedQueryFor({ placement: 'PRODUCT', productIds: ['p1'], first: 4 })?.variables).toEqual({ placement: 'PRODUCT', productIds: ['p1'], first: 4 });
    // Similar products name no shopper, whoever asks.
    expect(persistedQueryFor({ placement: 'PRODUCT', similarTo: 'p1', visitorId: 'v1', first: 6 })).toEqual({
      id: PERSISTED_QUERY_IDS.similarProducts,
      variables: { productId: 'p1', first: 6 },
    });
  });

  it('leaves personalized rankings and other placements to POST', () => {
    expect(persistedQueryFor({ placement: 'HOME', visitorId: 'v1' })).toBeNull();
    expect(persistedQueryFor({ placement: 'HOME', customerToken: 'v1.4102444800.MTIzNDc.sig' })).toBeNull();
    expect(persistedQueryFor({ placement: 'CART', productIds: ['p1'] })).toBeNull();
    expect(persistedQueryFor({ placement: 'PRODUCT', productIds: Array.from({ length: 21 }, (_, n) => `p${n}`) })).toBeNull();
  });
});

describe('fetchRecommendations by GET', () => {
  it('asks for an anonymous ranking by a simple GET that caches may answer', async () => {
    const { fetch, sent } = affinity();
    const result = await fetchRecommendations({ placement: 'PRODUCT', productIds: ['p1'], first: 4 }, { endpoint: '/get/graphql', storefrontKey: 'sfk 1', fetch });
    expect(result).toEqual({ recommendationId: '', items });
    expect(sent).toHaveLength(1);
    const [{ url, init }] = sent as [Sent];
    expect(init.method).toBe('GET');
    expect(init.body).toBeUndefined();
    expect(init.headers).toBeUndefined(); // no custom header: no CORS preflight
    expect(init.credentials).toBe('omit');
    expect(init.cache).toBeUndefined(); // the browser's cache follows Cache-Control
    expect(url.startsWith('/get/graphql?')).toBe(true);
    const params = query(url);
    expect(params.get('id')).toBe(PERSISTED_QUERY_IDS.anonymousRecommendations);
    expect(params.get('key')).toBe('sfk 1');
    expect(params.get('variables')).toBe('{"placement":"PRODUCT","productIds":["p1"],"first":4}');
  });

  it('keeps personalized rankings on POST', async () => {
    const { fetch, sent } = affinity();
    const result = await fetchRecommendations({ placement: 'HOME', visitorId: 'v1' }, { endpoint: '/get/graphql', storefrontKey: 'k', fetch });
    expect(result.recommendationId).toBe('r-post');
    expect(sent.map((s) => s.init.method)).toEqual(['POST']);
  });

  it('falls back to POST where the server knows no such persisted query, and stays on POST there', async () => {
    const { fetch, sent } = affinity(404, { errors: [{ message: 'No persisted query has this id.', extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } }] });
    const options = { endpoint: '/old-server/graphql', storefrontKey: 'k', fetch };
    await expect(fetchRecommendations({ placement: 'HOME' }, options)).resolves.toMatchObject({ recommendationId: 'r-post' });
    expect(sent.map((s) => s.init.method)).toEqual(['GET', 'POST']);
    expect(new Headers(sent[1]?.init.headers).get('X-Affinity-Storefront-Key')).toBe('k');
    await fetchRecommendations({ placement: 'HOME' }, options);
    expect(sent.map((s) => s.init.method)).toEqual(['GET', 'POST', 'POST']);
  });

  it('falls back to POST for variables the GET refuses, and tries GET again next time', async () => {
    const { fetch, sent } = affinity(400, { errors: [{ message: 'no', extensions: { code: 'INVALID_VARIABLES' } }] });
    const options = { endpoint: '/strict/graphql', storefrontKey: 'k', fetch };
    await fetchRecommendations({ placement: 'HOME' }, options);
    await fetchRecommendations({ placement: 'HOME' }, options);
    expect(sent.map((s) => s.init.method)).toEqual(['GET', 'POST', 'GET', 'POST']);
  });

  it('does not retry a refused key or a rate limit by POST', async () => {
    for (const status of [401, 429]) {
      const { fetch, sent } = affinity(status, {});
      const call = fetchRecommendations({ placement: 'HOME' }, { endpoint: `/refused-${status}/graphql`, storefrontKey: 'k', fetch });
      await expect(call).rejects.toMatchObject({ name: 'AffinityRequestError', status });
      expect(sent).toHaveLength(1);
    }
  });

  it('gives the GET and its fallback one time budget', async () => {
    const sent: string[] = [];
    const hanging: typeof fetch = (_input, init) => {
      sent.push(String(init?.method));
      return new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))));
    };
    const call = fetchRecommendations({ placement: 'HOME' }, { endpoint: '/slow/graphql', storefrontKey: 'k', fetch: hanging, timeoutMs: 20 });
    await expect(call).rejects.toBeInstanceOf(AffinityRequestError);
    await expect(call).rejects.toThrow('did not answer in time');
    expect(sent).toEqual(['GET']);
  });
});
