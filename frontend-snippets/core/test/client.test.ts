import { describe, expect, it, vi } from 'vitest';
import { AffinityRequestError, fetchRecommendations, graphqlBody } from '../client';
import { buildEvent, collectUrl, liveCustomerToken } from '../events';

const ranking = { recommendationId: 'r1', items: [] };

function answer(body: unknown, status = 200): typeof fetch {
  return vi.fn(async () => new Response(JSON.stringify(body), { status }));
}

describe('graphqlBody', () => {
  it('asks anonymously when no visitor is given', () => {
    const { query, variables } = graphqlBody({ placement: 'HOME', visitorId: null, customerToken: null });
    expect(query).toContain('recommendations(');
    expect(variables).toEqual({ placement: 'HOME', first: 12 });
  });

  it('passes the visitor and context products when given', () => {
    const { variables } = graphqlBody({ placement: 'PRODUCT', productIds: ['85123A'], visitorId: 'v1', first: 4 });
    expect(variables).toEqual({ placement: 'PRODUCT', productIds: ['85123A'], visitorId: 'v1', first: 4 });
  });

  it('names a customer with the customer token, declaring only the arguments it sends', () => {
    const { query, variables } = graphqlBody({ placement: 'HOME', visitorId: 'v1', customerToken: 'v1.4102444800.MTIzNDc.sig' });
    expect(variables).toEqual({ placement: 'HOME', visitorId: 'v1', customerToken: 'v1.4102444800.MTIzNDc.sig', first: 12 });
    expect(query).toContain('$customerToken: String');
    expect(query).toContain('customerToken: $customerToken');
    expect(query).not.toContain('customerId');
    expect(graphqlBody({ placement: 'HOME' }).query).not.toContain('customerToken');
  });

  it('never sends a raw customer id a page slips into the request', () => {
    const request = { placement: 'HOME', visitorId: 'v1', customerId: '12347' } as Parameters<typeof graphqlBody>[0];
    const { query, variables } = graphqlBody(request);
    expect(variables).not.toHaveProperty('customerId');
    expect(query).not.toContain('customerId');
  });

  it('asks for similar products when told to', () => {
    const { query, variables } = graphqlBody({ placement: 'PRODUCT', similarTo: '85123A', first: 6 });
    expect(query).toContain('similarProducts(');
    expect(variables).toEqual({ productId: '85123A', first: 6 });
  });
});

describe('fetchRecommendations', () => {
  it('sends the storefront key and returns the ranking', async () => {
    const fetchMock = answer({ data: { recommendations: ranking } });
    const result = await fetchRecommendations({ placement: 'HOME', visitorId: 'v1' }, { endpoint: '/graphql', storefrontKey: 'k', fetch: fetchMock });
    expect(result).toEqual(ranking);
    const init = vi.mocked(fetchMock).mock.calls[0]?.[1];
    expect(init?.method).toBe('POST');
    expect(new Headers(init?.headers).get('X-Affinity-Storefront-Key')).toBe('k');
  });

  it('sends no customer id from the browser, only the customer token', async () => {
    const fetchMock = answer({ data: { recommendations: ranking } });
    const request = { placement: 'HOME', customerId: '12347', customerToken: 'v1.4102444800.MTIzNDc.sig' } as Parameters<typeof fetchRecommendations>[0];
    await fetchRecommendations(request, { endpoint: '/graphql', storefrontKey: 'k', fetch: fetchMock });
    const init = vi.mocked(fetchMock).mock.calls[0]?.[1];
    expect(String(init?.body)).not.toContain('customerId');
    expect(JSON.parse(String(init?.body)).variables.customerToken).toBe('v1.4102444800.MTIzNDc.sig');
    expect(new Headers(init?.headers).has('X-Affinity-Server-Key')).toBe(false);
  });

  it('reads similarProducts too', async () => {
    const fetchMock = answer({ data: { similarProducts: ranking } });
    await expect(
      fetchRecommendations({ placement: 'PRODUCT', similarTo: 'p' }, { endpoint: '/graphql', storefrontKey: 'k', fetch: fetchMock }),
    ).resolves.toEqual(ranking);
  });

  it('rejects on an HTTP error', async () => {
    const call = fetchRecommendations({ placement: 'HOME' }, { endpoint: '/graphql', storefrontKey: 'bad', fetch: answer({}, 401) });
    await expect(call).rejects.toMatchObject({ name: 'AffinityRequestError', status: 401 });
  });

  it('rejects on GraphQL errors', async () => {
    const call = fetchRecommendations(
      { placement: 'HOME' },
      { endpoint: '/graphql', storefrontKey: 'k', fetch: answer({ data: null, errors: [{ message: 'boom' }] }) },
    );
    await expect(call).rejects.toThrow('boom');
  });

  it('gives up after the timeout', async () => {
    const hanging: typeof fetch = (_input, init) =>
      new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))));
    const call = fetchRecommendations({ placement: 'HOME' }, { endpoint: '/graphql', storefrontKey: 'k', fetch: hanging, timeoutMs: 20 });
    await expect(call).rejects.toBeInstanceOf(AffinityRequestError);
    await expect(call).rejects.toThrow('did not answer in time');
  });
});

describe('events', () => {
  it('builds events without empty fields', () => {
    const event = buildEvent(
      'PRODUCT_CLICKED',
      { productId: 'p1', recommendationId: 'r1', query: undefined },
      { visitorId: 'v1', consent: { analytics: true, personalization: false } },
    );
    expect(event).toMatchObject({ type: 'PRODUCT_CLICKED', productId: 'p1', recommendationId: 'r1', visitorId: 'v1' });
    expect(event).not.toHaveProperty('query');
    expect(event.eventId).toMatch(/.{8,}/);
    expect(Date.parse(event.occurredAt)).not.toBeNaN();
  });

  it('names the customer by token only, whatever the fields say', () => {
    const fields = { productId: 'p1', customerId: '12347', customerToken: 'forged' } as Parameters<typeof buildEvent>[1];
    const event = buildEvent('PRODUCT_VIEWED', fields, {
      visitorId: 'v1',
      consent: { analytics: true, personalization: true },
      customerToken: 'v1.4102444800.MTIzNDc.sig',
    });
    expect(event).not.toHaveProperty('customerId');
    expect(event.customerToken).toBe('v1.4102444800.MTIzNDc.sig');
    const guest = buildEvent('PRODUCT_VIEWED', fields, { visitorId: 'v1', consent: { analytics: true, personalization: true } });
    expect(guest).not.toHaveProperty('customerId');
    expect(guest).not.toHaveProperty('customerToken');
  });

  it('goes on as a guest once the customer token has expired', () => {
    const expired = 'v1.1700000000.MTIzNDc.sig';
    expect(liveCustomerToken(expired, 1_699_999_999_000)).toBe(expired);
    expect(liveCustomerToken(expired, 1_700_000_000_000)).toBeNull();
    expect(liveCustomerToken('not-a-token')).toBeNull();
    const consent = { analytics: true, personalization: true };
    expect(buildEvent('PRODUCT_VIEWED', {}, { visitorId: 'v1', consent, customerToken: expired })).not.toHaveProperty('customerToken');
    expect(graphqlBody({ placement: 'HOME', customerToken: expired }).variables).not.toHaveProperty('customerToken');
  });

  it('finds /collect beside the GraphQL endpoint', () => {
    expect(collectUrl('https://affinity.example/graphql', 'k 1')).toBe('https://affinity.example/collect?key=k+1');
    expect(collectUrl('/graphql', 'k', 'http://shop.test/products/a')).toBe('http://shop.test/collect?key=k');
  });
});
