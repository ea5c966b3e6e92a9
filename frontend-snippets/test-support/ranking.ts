import type { Recommendations } from '@affinity/core/types';

export const ranking: Recommendations = {
  recommendationId: 'rec-42',
  items: [
    {
      score: 0.9,
      reasons: [{ code: 'VIEWED_SIMILAR', message: 'Because you viewed the Lantern' }],
      product: { id: '101', handle: 'heart-holder', title: 'Heart Holder', price: 2.55, currency: 'GBP', imageUrl: '/h.svg', available: true },
    },
    {
      score: 0.5,
      reasons: [],
      product: { id: '102', handle: 'lantern', title: 'Metal Lantern', price: 3.39, currency: 'GBP', imageUrl: null, available: true },
    },
  ],
};

/** A fetch that answers like Affinity's GraphQL endpoint and remembers the requests. */
export function fakeAffinity(body: unknown = { data: { recommendations: ranking } }, status = 200) {
  const requests: { url: string; headers: Headers; body: any }[] = [];
  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    requests.push({ url: String(input), headers: new Headers(init?.headers), body: init?.body ? JSON.parse(String(init.body)) : null });
    return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
  };
  return { fetch: fetch as typeof globalThis.fetch, requests };
}
