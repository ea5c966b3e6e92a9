// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { fakeAffinity, ranking } from '../../test-support/ranking';
import { PERSISTED_QUERY_IDS } from '../persisted';
import { forwardEvents, recommendationsOrNull, type AffinityServerConfig } from '../server';

const base = { endpoint: 'https://affinity.test/graphql', storefrontKey: 'sfk_public' };

describe('recommendationsOrNull', () => {
  it('names the customer with the server key, never with the storefront key', async () => {
    const affinity = fakeAffinity();
    const config: AffinityServerConfig = { ...base, serverKey: 'srk_private', fetch: affinity.fetch };
    await expect(recommendationsOrNull({ placement: 'HOME', visitorId: 'visitor-1', customerId: '12347' }, config)).resolves.toEqual(ranking);
    const [sent] = affinity.requests;
    expect(sent?.headers.get('X-Affinity-Server-Key')).toBe('srk_private');
    expect(sent?.headers.has('X-Affinity-Storefront-Key')).toBe(false);
    expect(sent?.body.variables).toEqual({ placement: 'HOME', visitorId: 'visitor-1', customerId: '12347', first: 12 });
    expect(sent?.body.query).toContain('$customerId: ID');
    expect(sent?.body.query).toContain('customerId: $customerId');
  });

  it('asks without the customer when no server key is configured', async () => {
    const affinity = fakeAffinity();
    await recommendationsOrNull({ placement: 'HOME', visitorId: 'visitor-1', customerId: '12347' }, { ...base, fetch: affinity.fetch });
    const [sent] = affinity.requests;
    expect(sent?.headers.get('X-Affinity-Storefront-Key')).toBe('sfk_public');
    expect(sent?.headers.has('X-Affinity-Server-Key')).toBe(false);
    expect(sent?.body.variables).toEqual({ placement: 'HOME', visitorId: 'visitor-1', first: 12 });
    expect(sent?.body.query).not.toContain('customerId');
  });

  it('keeps the storefront key for anonymous rankings even when a server key is configured', async () => {
    const affinity = fakeAffinity();
    await recommendationsOrNull({ placement: 'HOME', visitorId: 'visitor-1' }, { ...base, serverKey: 'srk_private', fetch: affinity.fetch });
    expect(affinity.requests[0]?.headers.get('X-Affinity-Storefront-Key')).toBe('sfk_public');
    expect(affinity.requests[0]?.headers.has('X-Affinity-Server-Key')).toBe(false);
  });

  it('asks for a ranking for no visitor by GET, with the storefront key in the URL only', async () => {
    const affinity = fakeAffinity();
    await expect(recommendationsOrNull({ placement: 'HOME' }, { ...base, serverKey: 'srk_private', fetch: affinity.fetch })).resolves.toEqual(ranking);
    const [sent] = affinity.requests;
    const url = new URL(sent?.url ?? '');
    expect(url.origin + url.pathname).toBe('https://affinity.test/graphql');
    expect(url.searchParams.get('id')).toBe(PERSISTED_QUERY_IDS.anonymousRecommendations);
    expect(url.searchParams.get('key')).toBe('sfk_public');
    expect(JSON.parse(url.searchParams.get('variables') ?? '')).toEqual({ placement: 'HOME', first: 12 });
    expect(sent?.body).toBeNull();
    expect(sent?.headers.has('X-Affinity-Server-Key')).toBe(false);
    expect(sent?.url).not.toContain('srk_private');
  });
});

describe('forwardEvents', () => {
  function relay(body: string, config: Partial<AffinityServerConfig> = {}, headers: Record<string, string> = {}) {
    const calls: { url: string; init: RequestInit }[] = [];
    const upstream: typeof fetch = async (input, init) => {
      calls.push({ url: String(input), init: init ?? {} });
      return new Response('{"accepted":2,"rejected":[]}', { status: 202 });
    };
    const request = new Request('https://shop.test/api/affinity/collect', { method: 'POST', body, headers });
    return { calls, response: forwardEvents(request, { ...base, ...config, fetch: upstream }) };
  }

  it('drops raw customer ids and keeps customer tokens, under the storefront key only', async () => {
    const events = [
      { type: 'PRODUCT_VIEWED', visitorId: 'v1', productId: 'p1', customerId: '12347' },
      { type: 'PRODUCT_CLICKED', visitorId: 'v1', productId: 'p2', customerToken: 'v1.1.MQ.sig' },
    ];
    const { calls, response } = relay(JSON.stringify({ events }), { serverKey: 'srk_private' }, { Origin: 'https://shop.test' });
    expect((await response).status).toBe(202);
    expect(calls).toHaveLength(1);
    const [{ url, init }] = calls as [{ url: string; init: RequestInit }];
    expect(url).toBe('https://affinity.test/collect?key=sfk_public');
    const headers = new Headers(init.headers);
    expect(headers.has('X-Affinity-Server-Key')).toBe(false);
    expect(headers.get('Origin')).toBe('https://shop.test');
    const forwarded = JSON.parse(String(init.body)).events;
    expect(forwarded).toEqual([
      { type: 'PRODUCT_VIEWED', visitorId: 'v1', productId: 'p1' },
      { type: 'PRODUCT_CLICKED', visitorId: 'v1', productId: 'p2', customerToken: 'v1.1.MQ.sig' },
    ]);
    expect(String(init.body)).not.toContain('customerId');
  });

  it('refuses a body that is not a batch of events without calling Affinity', async () => {
    for (const body of ['not json', '{"events":{"customerId":"12347"}}', '[{"customerId":"12347"}]']) {
      const { calls, response } = relay(body);
      expect((await response).status).toBe(400);
      expect(calls).toEqual([]);
    }
  });
});
