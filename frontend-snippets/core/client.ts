/**
 * Affinity's storefront API client, shared by the browser (storefront key) and the shop's
 * servers (`core/server.ts`, which may add the private server key).
 */
import { liveCustomerToken } from './events';
import { lacksPersistedQueries, persistedQueryFor, persistedUrl, triesPost, type PersistedRequest } from './persisted';
import type { Placement, Recommendations } from './types';

/** Fields every integration asks for; kept small so the response stays small. */
const ITEM_FIELDS = `recommendationId items { score reasons { code message }
  product { id handle title vendor productType price currency imageUrl url available } }`;

/** The header of the public storefront key: what browsers send. */
export const STOREFRONT_KEY_HEADER = 'X-Affinity-Storefront-Key';

/** GraphQL types of the `recommendations` arguments, in the order they are declared. */
const ARGUMENT_TYPES = {
  placement: 'Placement!',
  visitorId: 'ID',
  customerId: 'ID',
  customerToken: 'String',
  productIds: '[ID!]',
  first: 'Int',
} as const;

type RankingVariables = Partial<Record<keyof typeof ARGUMENT_TYPES, unknown>>;

/** The `recommendations` query declaring only the arguments given, so absent ones stay absent. */
function recommendationsQuery(variables: RankingVariables): string {
  const names = (Object.keys(ARGUMENT_TYPES) as (keyof typeof ARGUMENT_TYPES)[]).filter((name) => name in variables);
  const declared = names.map((name) => `$${name}: ${ARGUMENT_TYPES[name]}`).join(', ');
  const passed = names.map((name) => `${name}: $${name}`).join(', ');
  return `query AffinityRecommendations(${declared}) {
  recommendations(${passed}) { ${ITEM_FIELDS} } }`;
}

export const SIMILAR_PRODUCTS_QUERY = `query AffinitySimilarProducts($productId: ID!, $first: Int) {
  similarProducts(productId: $productId, first: $first) { ${ITEM_FIELDS} } }`;

export interface RecommendationRequest {
  placement: Placement;
  /** Context products: the product on a product page, the lines of a cart. */
  productIds?: string[];
  /** Left out when the visitor did not allow personalization. */
  visitorId?: string | null;
  /**
   * The logged-in customer, as a token the shop's own server signed (`signCustomerToken`).
   * Browsers name a customer only this way: a raw customer id is never sent with the
   * storefront key. Left out once expired.
   */
  customerToken?: string | null;
  first?: number;
  /** Ask for `similarProducts` of this product instead of `recommendations`. */
  similarTo?: string | null;
}

/** What only a caller holding the shop's private server key may add to a request. */
export interface ServerOnlyFields {
  /** A raw customer id: accepted by Affinity with the server key only. */
  customerId?: string | null;
}

/** Where and how a request goes, whichever key it carries. */
export interface TransportOptions {
  endpoint: string;
  fetch?: typeof fetch;
  signal?: AbortSignal;
  /** Give up after this long; the caller decides what a failure looks like. */
  timeoutMs?: number;
  /**
   * The cache mode of a non-personalized ranking's GET. Default: the HTTP caches on the way
   * keep it as its `Cache-Control` says. Servers whose framework keeps fetched answers in a
   * cache of its own, regardless of `Cache-Control` (Next.js), pass `'no-store'`.
   */
  sharedCache?: RequestCache;
}

export interface ClientOptions extends TransportOptions {
  storefrontKey: string;
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

/**
 * The GraphQL request for one ranking. Only the fields named here are read, so a stray
 * `customerId` on `request` is never sent; `serverOnly` is for callers with the server key.
 */
export function graphqlBody(
  request: RecommendationRequest,
  serverOnly: ServerOnlyFields = {},
): { query: string; variables: object } {
  const first = request.first ?? 12;
  if (request.similarTo) {
    return { query: SIMILAR_PRODUCTS_QUERY, variables: { productId: request.similarTo, first } };
  }
  const variables: RankingVariables = { placement: request.placement, first };
  if (request.productIds?.length) variables.productIds = request.productIds;
  if (request.visitorId) variables.visitorId = request.visitorId;
  if (serverOnly.customerId) variables.customerId = serverOnly.customerId;
  const customerToken = liveCustomerToken(request.customerToken);
  if (customerToken) variables.customerToken = customerToken;
  return { query: recommendationsQuery(variables), variables };
}

/**
 * Fetch one ranking: a non-personalized one by GET (a persisted query, cacheable on the way),
 * falling back to POST where the server does not take it; any other by POST. Rejects with
 * `AffinityRequestError` on any failure, including a timeout.
 */
export async function fetchRecommendations(request: RecommendationRequest, options: ClientOptions): Promise<Recommendations> {
  return await rankingWithStorefrontKey(request, options, options.storefrontKey);
}

/** Endpoints that answered that they run no persisted query (kept for the page's life). */
const postOnlyEndpoints = new Set<string>();

/**
 * The anonymous ranking of `request` asked for with the public storefront key: by GET when a
 * persisted query answers it, by POST otherwise or when the GET is refused as unknown.
 */
export async function rankingWithStorefrontKey(
  request: RecommendationRequest,
  options: TransportOptions,
  storefrontKey: string,
): Promise<Recommendations> {
  const persisted = postOnlyEndpoints.has(options.endpoint) ? null : persistedQueryFor(request);
  const post = (signal: AbortSignal): Promise<Recommendations> =>
    postWithin(graphqlBody(request), options, { [STOREFRONT_KEY_HEADER]: storefrontKey }, signal);
  return await withinDeadline(options, async (signal) => {
    if (!persisted) return await post(signal);
    try {
      return await getPersisted(persisted, options, storefrontKey, signal);
    } catch (error) {
      if (!(error instanceof AffinityRequestError) || error.status === undefined || !triesPost(error.status)) throw error;
      if (lacksPersistedQueries(error.status)) postOnlyEndpoints.add(options.endpoint);
      return await post(signal);
    }
  });
}

/**
 * POST a ranking query with the given key header and read the ranking from the answer.
 * Rejects with `AffinityRequestError` on any failure, including a timeout.
 */
export async function postRankingQuery(
  body: { query: string; variables: object },
  options: TransportOptions,
  keyHeader: Record<string, string>,
): Promise<Recommendations> {
  return await withinDeadline(options, (signal) => postWithin(body, options, keyHeader, signal));
}

async function postWithin(
  body: { query: string; variables: object },
  options: TransportOptions,
  keyHeader: Record<string, string>,
  signal: AbortSignal,
): Promise<Recommendations> {
  const response = await (options.fetch ?? fetch)(options.endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...keyHeader },
    body: JSON.stringify(body),
    credentials: 'omit',
    cache: 'no-store',
    signal,
  });
  return await rankingOf(response);
}

/** A simple cross-origin request (no custom header: no preflight) that caches may answer. */
async function getPersisted(
  persisted: PersistedRequest,
  options: TransportOptions,
  storefrontKey: string,
  signal: AbortSignal,
): Promise<Recommendations> {
  const response = await (options.fetch ?? fetch)(persistedUrl(options.endpoint, persisted, storefrontKey), {
    method: 'GET',
    credentials: 'omit',
    ...(options.sharedCache ? { cache: options.sharedCache } : {}),
    signal,
  });
  return await rankingOf(response);
}

async function rankingOf(response: Response): Promise<Recommendations> {
  if (!response.ok) throw new AffinityRequestError('Affinity answered an error', response.status);
  return pickRecommendations((await response.json()) as GraphQLResponse);
}

/** Runs `run` with a signal aborted after `timeoutMs` or by the caller's signal. */
async function withinDeadline<T>(options: TransportOptions, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const abort = (): void => controller.abort();
  options.signal?.addEventListener('abort', abort, { once: true });
  const timer = setTimeout(abort, options.timeoutMs ?? 3000);
  try {
    return await run(controller.signal);
  } catch (error) {
    if (error instanceof AffinityRequestError) throw error;
    const reason = controller.signal.aborted ? 'Affinity did not answer in time' : String(error);
    throw new AffinityRequestError(reason);
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', abort);
  }
}

/**
 * The ranking in the answer. A list served from a shared cache (GET) names no served list:
 * its `recommendationId` is empty, and events about it go without one.
 */
function pickRecommendations(body: GraphQLResponse): Recommendations {
  const result = body.data?.recommendations ?? body.data?.similarProducts;
  if (!result || !Array.isArray(result.items)) {
    throw new AffinityRequestError(body.errors?.[0]?.message ?? 'Affinity sent no recommendations');
  }
  return { ...result, recommendationId: typeof result.recommendationId === 'string' ? result.recommendationId : '' };
}
