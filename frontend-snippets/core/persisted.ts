/**
 * Non-personalized rankings asked for by `GET /graphql?id=…&variables=…&key=…`: the
 * persisted queries Affinity ships, whose answers a CDN and the browser's own cache may keep
 * (Affinity's docs/edge-caching.md). A ranking for a visitor, a customer or a cart is never
 * asked for this way.
 */
import type { RecommendationRequest } from './client';

/**
 * The ids of Affinity's persisted queries: the SHA-256 of each document's text, as the
 * server computes them (`app/graphql/persisted/documents.py`). A server with other
 * documents answers 404 for these ids and the request goes by POST instead.
 */
export const PERSISTED_QUERY_IDS = Object.freeze({
  similarProducts: 'c1dd6797235fb00e8d6a8d793ad1469d2fbe8c0c45fba9297f4e68300e5cc9b9',
  anonymousRecommendations: '76f059fb96ab2704e613618c705873db44a46ef743513a980a5ba51ecc0ac135',
});

/** The placements whose anonymous ranking is the same for every shopper of a shop. */
const SHARED_PLACEMENTS: ReadonlySet<string> = new Set(['HOME', 'PRODUCT']);

/** The server refuses more context products by GET. */
const MAX_PERSISTED_PRODUCT_IDS = 20;

export interface PersistedRequest {
  id: string;
  /** In a fixed order, so that one ranking has one URL (the key of every cache on the way). */
  variables: Record<string, unknown>;
}

/**
 * The persisted query answering `request`, or null when the ranking is personalized (a
 * visitor or a customer token) or not one the server ships for GET.
 */
export function persistedQueryFor(request: RecommendationRequest): PersistedRequest | null {
  const first = request.first ?? 12;
  if (request.similarTo) {
    return { id: PERSISTED_QUERY_IDS.similarProducts, variables: { productId: request.similarTo, first } };
  }
  if (request.visitorId || request.customerToken || !SHARED_PLACEMENTS.has(request.placement)) return null;
  const productIds = request.productIds ?? [];
  if (productIds.length > MAX_PERSISTED_PRODUCT_IDS) return null;
  const variables: Record<string, unknown> = { placement: request.placement };
  if (productIds.length) variables.productIds = productIds;
  variables.first = first;
  return { id: PERSISTED_QUERY_IDS.anonymousRecommendations, variables };
}

/** The URL of `persisted` at `endpoint`, with the public storefront key (never the server key). */
export function persistedUrl(endpoint: string, persisted: PersistedRequest, storefrontKey: string): string {
  const query = new URLSearchParams({ id: persisted.id, variables: JSON.stringify(persisted.variables), key: storefrontKey });
  return `${endpoint}${endpoint.includes('?') ? '&' : '?'}${query.toString()}`;
}

/**
 * Answers after which the same ranking is asked for by POST: a server (or a proxy in
 * front of it) without this persisted query or without GET (404, 405), or refusing these
 * variables (400, 414).
 */
export function triesPost(status: number): boolean {
  return status === 400 || status === 404 || status === 405 || status === 414;
}

/** Whether later rankings from `endpoint` should skip GET: it does not know persisted queries. */
export function lacksPersistedQueries(status: number): boolean {
  return status === 404 || status === 405;
}
