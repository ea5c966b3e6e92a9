import type { Placement, Recommendations } from './types';

/** Fields every integration asks for; kept small so the response stays small. */
const ITEM_FIELDS = `recommendationId items { score reasons { code message }
  product { id handle title vendor productType price currency imageUrl url available } }`;

export const RECOMMENDATIONS_QUERY = `query AffinityRecommendations($placement: Placement!, $visitorId: ID,
  $customerId: ID, $productIds: [ID!], $first: Int) {
  recommendations(placement: $placement, visitorId: $visitorId, customerId: $customerId,
    productIds: $productIds, first: $first) { ${ITEM_FIELDS} } }`;

export const SIMILAR_PRODUCTS_QUERY = `query AffinitySimilarProducts($productId: ID!, $first: Int) {
  similarProducts(productId: $productId, first: $first) { ${ITEM_FIELDS} } }`;

export interface RecommendationRequest {
  placement: Placement;
  /** Context products: the product on a product page, the lines of a cart. */
  productIds?: string[];
  /** Left out when the visitor did not allow personalization. */
  visitorId?: string | null;
  customerId?: string | null;
  first?: number;
  /** Ask for `similarProducts` of this product instead of `recommendations`. */
  similarTo?: string | null;
}

export interface ClientOptions {
  endpoint: string;
  storefrontKey: string;
  fetch?: typeof fetch;
  signal?: AbortSignal;
  /** Give up after this long; the caller decides what a failure looks like. */
  timeoutMs?: number;
}

export class AffinityRequestError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'AffinityRequestError';
  }
}

interface GraphQLResponse {
  data?: Record<string, Recommendations | null> | null;
  errors?: { message: string }[];
}

export function graphqlBody(request: RecommendationRequest): { query: string; variables: object } {
  const first = request.first ?? 12;
  if (request.similarTo) {
    return { query: SIMILAR_PRODUCTS_QUERY, variables: { productId: request.similarTo, first } };
  }
  const variables: Record<string, unknown> = { placement: request.placement, first };
  if (request.productIds?.length) variables.productIds = request.productIds;
  if (request.visitorId) variables.visitorId = request.visitorId;
  if (request.customerId) variables.customerId = request.customerId;
  return { query: RECOMMENDATIONS_QUERY, variables };
}

/** Fetch one ranking. Rejects with `AffinityRequestError` on any failure, including a timeout. */
export async function fetchRecommendations(
  request: RecommendationRequest,
  options: ClientOptions,
): Promise<Recommendations> {
  const controller = new AbortController();
  const abort = (): void => controller.abort();
  options.signal?.addEventListener('abort', abort, { once: true });
  const timer = setTimeout(abort, options.timeoutMs ?? 3000);
  try {
    const response = await (options.fetch ?? fetch)(options.endpoint, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'X-Affinity-Storefront-Key': options.storefrontKey,
      },
      body: JSON.stringify(graphqlBody(request)),
      credentials: 'omit',
      cache: 'no-store',
      signal: controller.signal,
    });
    if (!response.ok) throw new AffinityRequestError('Affinity answered an error', response.status);
    return pickRecommendations((await response.json()) as GraphQLResponse);
  } catch (error) {
    if (error instanceof AffinityRequestError) throw error;
    const reason = controller.signal.aborted ? 'Affinity did not answer in time' : String(error);
    throw new AffinityRequestError(reason);
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', abort);
  }
}

function pickRecommendations(body: GraphQLResponse): Recommendations {
  const result = body.data?.recommendations ?? body.data?.similarProducts;
  if (!result || !Array.isArray(result.items)) {
    throw new AffinityRequestError(body.errors?.[0]?.message ?? 'Affinity sent no recommendations');
  }
  return result;
}
