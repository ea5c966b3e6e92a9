import { describe, expect, it } from 'vitest';
import { fakeAffinity, ranking } from '../../test-support/ranking';
import { createHmac } from 'node:crypto';
import { affinityCollectAction, affinityCustomerToken, affinityHeaders, loadAffinityRecommendations } from '../affinity.server';

const env = { AFFINITY_ENDPOINT: 'https://affinity.test/graphql', AFFINITY_STOREFRONT_KEY: 'secret-key' };
const request = (cookie?: string) => new Request('https://shop.test/products/lantern', cookie ? { headers: { Cookie: cookie } } : {});

describe('loadAffinityRecommendations', () => {
  it('fetches on the server with the storefront key', async () => {
    const affinity = fakeAffinity();
    const result = await loadAffinityRecommendations({ request: request(), env, productId: 'gid://shopify/Product/101', fetch: affinity.fetch });
    expect(result).toEqual(ranking);
    const [sent] = affinity.requests;
    // No visitor: the shared ranking, by GET with the key in the URL (cacheable on the way).
    expect(sent?.method).toBe('GET');
    expect(sent?.url.startsWith('https://affinity.test/graphql?')).toBe(true);
    expect(sent?.key).toBe('secret-key');
    expect(sent?.variables).toEqual({ placement: 'PRODUCT', productIds: ['101'], first: 8 });
  });

  it('personalizes only for visitors whose consent cookie is present', async () => {
    const affinity = fakeAffinity();
    await loadAffinityRecommendations({ request: request('affinity_visitor=visitor-0001; other=1'), env, fetch: affinity.fetch });
    expect(affinity.requests[0]?.body.variables).toEqual({ placement: 'HOME', visitorId: 'visitor-0001', first: 8 });
  });

  it('names the logged-in customer with the server key', async () => {
    const affinity = fakeAffinity();
    await loadAffinityRecommendations({
      request: request('affinity_visitor=visitor-0001'),
      env: { ...env, AFFINITY_SERVER_KEY: 'srk_private' },
      customerId: 'gid://shopify/Customer/12347',
      fetch: affinity.fetch,
    });
    const [sent] = affinity.requests;
    expect(sent?.headers.get('X-Affinity-Server-Key')).toBe('srk_private');
    expect(sent?.headers.has('X-Affinity-Storefront-Key')).toBe(false);
    expect(sent?.body.variables).toEqual({ placement: 'HOME', visitorId: 'visitor-0001', customerId: '12347', first: 8 });
  });

  it('asks without the customer when no server key is configured, or without consent', async () => {
    const affinity = fakeAffinity();
    await loadAffinityRecommendations({ request: request('affinity_visitor=visitor-0001'), env, customerId: '12347', fetch: affinity.fetch });
    await loadAffinityRecommendations({ request: request(), env: { ...env, AFFINITY_SERVER_KEY: 'srk_private' }, customerId: '12347', fetch: affinity.fetch });
    expect(affinity.requests.map((sent) => sent.method)).toEqual(['POST', 'GET']);
    for (const sent of affinity.requests) {
      expect(sent.key).toBe('secret-key');
      expect(sent.headers.has('X-Affinity-Server-Key')).toBe(false);
      expect(sent.variables).not.toHaveProperty('customerId');
      expect(sent.url).not.toContain('12347');
    }
  });

  it('resolves to null instead of failing', async () => {
    const errors: unknown[] = [];
    const down = fakeAffinity({}, 503);
    await expect(
      loadAffinityRecommendations({ request: request(), env, fetch: down.fetch, onError: (e) => errors.push(e) }),
    ).resolves.toBeNull();
    expect(errors).toHaveLength(1);
  });
});

describe('affinityCustomerToken', () => {
  it('signs the logged-in customer with the customer-token secret', () => {
    const token = affinityCustomerToken({
      env: { ...env, AFFINITY_CUSTOMER_TOKEN_SECRET: 'cts_shop' },
      customerId: 'gid://shopify/Customer/12347',
      ttlSeconds: 120,
    });
    const [version, exp, cid, sig] = (token ?? '').split('.');
    expect([version, Buffer.from(cid ?? '', 'base64url').toString()]).toEqual(['v1', '12347']);
    expect(Number(exp) - Date.now() / 1000).toBeGreaterThan(100);
    expect(sig).toBe(createHmac('sha256', 'cts_shop').update(`v1.${exp}.${cid}`).digest('base64url'));
  });

  it('is null for a guest or without the secret', () => {
    expect(affinityCustomerToken({ env: { ...env, AFFINITY_CUSTOMER_TOKEN_SECRET: 'cts_shop' }, customerId: null })).toBeNull();
    expect(affinityCustomerToken({ env, customerId: '12347' })).toBeNull();
  });
});

describe('route helpers', () => {
  it('keeps personalized pages out of shared caches', () => {
    const headers = affinityHeaders();
    expect(headers.get('Cache-Control')).toBe('private, no-store');
    expect(headers.get('Vary')).toBe('Cookie');
  });

  it('relays events to /collect, adding the key on the server', async () => {
    const calls: [string, RequestInit | undefined][] = [];
    const upstream: typeof fetch = async (input, init) => {
      calls.push([String(input), init]);
      return new Response('{"accepted":1,"rejected":[]}', { status: 202 });
    };
    const body = JSON.stringify({ events: [{ type: 'PRODUCT_VIEWED' }] });
    const original = globalThis.fetch;
    globalThis.fetch = upstream;
    try {
      const response = await affinityCollectAction({ request: new Request('https://shop.test/api/affinity/collect', { method: 'POST', body }), context: { env } });
      expect(response.status).toBe(202);
    } finally {
      globalThis.fetch = original;
    }
    expect(calls[0]?.[0]).toBe('https://affinity.test/collect?key=secret-key');
    expect(calls[0]?.[1]?.body).toBe(body);
  });
});
