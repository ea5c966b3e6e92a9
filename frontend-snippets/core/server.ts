/**
 * The server side shared by the Hydrogen and Next.js integrations: the keys stay on the
 * server, personalized answers are kept out of shared caches, and the shop's server is the
 * one that vouches for its logged-in customer.
 *
 * Two ways to name a customer, both only from the shop's own server:
 * - the private server key (`X-Affinity-Server-Key`) with a raw customer id, for calls made
 *   on the server (loaders, server components);
 * - a customer token signed with the shop's customer-token secret (`signCustomerToken`),
 *   handed to the browser, which sends it with the public storefront key.
 */
import { createHmac } from 'node:crypto';
import {
  AffinityRequestError,
  graphqlBody,
  postRankingQuery,
  rankingWithStorefrontKey,
  type RecommendationRequest,
  type ServerOnlyFields,
} from './client';
import { readCookie, VISITOR_COOKIE } from './cookies';
import type { Recommendations } from './types';

export { VISITOR_COOKIE } from './cookies';

/** The header of the shop's private server key; never sent by a browser, never in a URL. */
export const SERVER_KEY_HEADER = 'X-Affinity-Server-Key';

/** For responses that carry personalized content: no shared cache may keep them. */
export const PERSONALIZED_CACHE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Cache-Control': 'private, no-store',
  Vary: 'Cookie',
});

const MAX_EVENTS_BODY = 64 * 1024;

/** Affinity refuses longer customer tokens. */
export const MAX_CUSTOMER_TOKEN_LENGTH = 512;

/** How long a customer token minted for a page stays valid unless told otherwise: 12 hours. */
export const DEFAULT_CUSTOMER_TOKEN_TTL_SECONDS = 12 * 60 * 60;

const CUSTOMER_TOKEN_VERSION = 'v1';

export interface AffinityServerConfig {
  /** The GraphQL endpoint, e.g. https://affinity.example.com/graphql */
  endpoint: string;
  /** The public storefront key: for anonymous rankings and relayed browser events. */
  storefrontKey: string;
  /**
   * The shop's private server key (`srk_…`). Without it a customer id given on the server is
   * left out and the ranking is asked for without a customer.
   */
  serverKey?: string | null;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

/** A ranking asked for by the shop's server, which may name its logged-in customer by id. */
export type ServerRecommendationRequest = RecommendationRequest & ServerOnlyFields;

/** The visitor id, present only if the visitor allowed it to be stored. */
export function visitorFromCookies(header: string | null | undefined): string | null {
  const id = readCookie(header, VISITOR_COOKIE);
  return id && /^[\w-]{8,64}$/.test(id) ? id : null;
}

/**
 * A customer token naming `customerId` for `ttlSeconds`, signed with the shop's
 * customer-token secret (`cts_…`, from `affinity shop add` or `rotate-keys`):
 * `v1.<expiry unix seconds>.<base64url customer id>.<base64url HMAC-SHA256>`, without padding.
 * Mint it on the shop's server for the logged-in customer and hand it to the page; never
 * send the secret to the browser. `now` is the current time in unix seconds.
 */
export function signCustomerToken(secret: string, customerId: string, ttlSeconds: number, now: number = Date.now() / 1000): string {
  if (!secret) throw new TypeError('a customer-token secret is required');
  if (!customerId) throw new TypeError('a customer id is required');
  if (!Number.isFinite(ttlSeconds) || ttlSeconds <= 0) throw new RangeError('ttlSeconds must be a positive number of seconds');
  if (!Number.isFinite(now) || now < 0) throw new RangeError('now must be a time in unix seconds');
  const expiry = Math.floor(now + ttlSeconds);
  const signed = `${CUSTOMER_TOKEN_VERSION}.${expiry}.${Buffer.from(customerId, 'utf8').toString('base64url')}`;
  const signature = createHmac('sha256', Buffer.from(secret, 'utf8')).update(signed, 'utf8').digest('base64url');
  const token = `${signed}.${signature}`;
  if (token.length > MAX_CUSTOMER_TOKEN_LENGTH) throw new RangeError('the customer id is too long for a customer token');
  return token;
}

/**
 * The token for the page of a logged-in customer, or null for a guest, without a configured
 * secret, or for an id too long to fit a token.
 */
export function customerTokenOrNull(
  secret: string | null | undefined,
  customerId: string | null | undefined,
  ttlSeconds: number = DEFAULT_CUSTOMER_TOKEN_TTL_SECONDS,
): string | null {
  if (!secret || !customerId) return null;
  try {
    return signCustomerToken(secret, customerId, ttlSeconds);
  } catch {
    return null;
  }
}

/**
 * Fetch a ranking on the server. A customer id goes out only with the server key, by POST;
 * without one it is left out, and a ranking for no visitor goes by GET with the storefront
 * key where a persisted query answers it (cacheable on the way; POST where the server does
 * not take it). Never rejects: a failure or a timeout resolves to null, so a page renders
 * without recommendations rather than failing.
 */
export async function recommendationsOrNull(
  request: ServerRecommendationRequest,
  config: AffinityServerConfig,
  onError: (error: unknown) => void = () => undefined,
): Promise<Recommendations | null> {
  const { customerId, ...anonymous } = request;
  const serverKey = customerId ? config.serverKey : null;
  // Never kept by a framework's own fetch cache, which would not expire it (see `sharedCache`).
  const base = { endpoint: config.endpoint, timeoutMs: config.timeoutMs ?? 2500, sharedCache: 'no-store' as const };
  const options = config.fetch ? { ...base, fetch: config.fetch } : base;
  try {
    if (!serverKey) return await rankingWithStorefrontKey(anonymous, options, config.storefrontKey);
    return await postRankingQuery(graphqlBody(anonymous, { customerId }), options, { [SERVER_KEY_HEADER]: serverKey });
  } catch (error) {
    onError(error);
    return null;
  }
}

/**
 * The browser's batch with every raw `customerId` removed (a browser may name its customer
 * only with a `customerToken`), or null when the body is not `{"events": [...]}`.
 */
function relayedBody(body: string): string | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null || !Array.isArray((parsed as { events?: unknown }).events)) return null;
  const events = (parsed as { events: unknown[] }).events.map((event) => {
    if (typeof event !== 'object' || event === null || Array.isArray(event)) return event;
    const { customerId: _rawId, ...rest } = event as Record<string, unknown>;
    return rest;
  });
  return JSON.stringify({ ...parsed, events });
}

/**
 * Relay a batch of events from the browser to Affinity's `/collect` with the public
 * storefront key (the browser's events are the browser's word, whatever keys the server
 * holds) and the browser's `Origin`, which Affinity checks against the shop's storefront
 * origins. A raw `customerId` is dropped from every event; a `customerToken` goes through.
 */
export async function forwardEvents(request: Request, config: AffinityServerConfig): Promise<Response> {
  if (request.method !== 'POST') return new Response(null, { status: 405, headers: { Allow: 'POST' } });
  const received = await request.text();
  if (received.length > MAX_EVENTS_BODY) return new Response(null, { status: 413 });
  const body = relayedBody(received);
  if (body === null) return Response.json({ accepted: 0, error: 'body must be JSON: {"events": [...]}' }, { status: 400 });
  const target = new URL('/collect', config.endpoint);
  target.searchParams.set('key', config.storefrontKey);
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  const origin = request.headers.get('Origin');
  if (origin) headers.Origin = origin;
  try {
    const upstream = await (config.fetch ?? fetch)(target, {
      method: 'POST',
      headers,
      body,
      signal: AbortSignal.timeout(config.timeoutMs ?? 2500),
    });
    return new Response(await upstream.text(), {
      status: upstream.status,
      headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' },
    });
  } catch (error) {
    const message = error instanceof AffinityRequestError ? error.message : 'Affinity is unreachable';
    return Response.json({ accepted: 0, error: message }, { status: 502 });
  }
}
