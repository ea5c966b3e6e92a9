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

/** What a ranking request carries, by POST (body, key header) or by GET (persisted query, URL). */
export interface SentRanking {
  url: string;
  method: string;
  headers: Headers;
  body: any;
  /** The query's variables, from the body or the URL. */
  variables: Record<string, unknown> | undefined;
  /** The storefront key, from its header or the URL. */
  key: string | null;
}

export function sentRanking(url: string, method: string, headers: Headers, body: any): SentRanking {
  const params = new URL(url, 'http://affinity.test').searchParams;
  const fromUrl = params.get('variables');
  return {
    url,
    method,
    headers,
    body,
    variables: method === 'GET' ? (fromUrl ? JSON.parse(fromUrl) : undefined) : body?.variables,
    key: headers.get('X-Affinity-Storefront-Key') ?? params.get('key'),
  };
}

/** A fetch that answers like Affinity's GraphQL endpoint and remembers the requests. */
export function fakeAffinity(body: unknown = { data: { recommendations: ranking } }, status = 200) {
  const requests: SentRanking[] = [];
  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const sent = init?.body ? JSON.parse(String(init.body)) : null;
    requests.push(sentRanking(String(input), init?.method ?? 'GET', new Headers(init?.headers), sent));
    return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
  };
  return { fetch: fetch as typeof globalThis.fetch, requests };
}
