/**
 * Server-side helpers shared by the Hydrogen and Next.js integrations: the storefront key
 * stays on the server, and personalized answers are kept out of shared caches.
 */
import { AffinityRequestError, fetchRecommendations, type RecommendationRequest } from './client';
import { readCookie, VISITOR_COOKIE } from './cookies';
import type { Recommendations } from './types';

export { VISITOR_COOKIE } from './cookies';

/** For responses that carry personalized content: no shared cache may keep them. */
export const PERSONALIZED_CACHE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Cache-Control': 'private, no-store',
  Vary: 'Cookie',
});

const MAX_EVENTS_BODY = 64 * 1024;

export interface AffinityServerConfig {
  /** The GraphQL endpoint, e.g. https://affinity.example.com/graphql */
  endpoint: string;
  storefrontKey: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

/** The visitor id, present only if the visitor allowed it to be stored. */
export function visitorFromCookies(header: string | null | undefined): string | null {
  const id = readCookie(header, VISITOR_COOKIE);
  return id && /^[\w-]{8,64}$/.test(id) ? id : null;
}

/**
 * Fetch a ranking on the server. Never rejects: a failure or a timeout resolves to null, so a
 * page renders without recommendations rather than failing.
 */
export async function recommendationsOrNull(
  request: RecommendationRequest,
  config: AffinityServerConfig,
  onError: (error: unknown) => void = () => undefined,
): Promise<Recommendations | null> {
  try {
    const options = { endpoint: config.endpoint, storefrontKey: config.storefrontKey, timeoutMs: config.timeoutMs ?? 2500 };
    return await fetchRecommendations(request, config.fetch ? { ...options, fetch: config.fetch } : options);
  } catch (error) {
    onError(error);
    return null;
  }
}

/**
 * Relay a batch of events from the browser to Affinity's `/collect`, adding the storefront
 * key on the way, so the browser never sees it.
 */
export async function forwardEvents(request: Request, config: AffinityServerConfig): Promise<Response> {
  if (request.method !== 'POST') return new Response(null, { status: 405, headers: { Allow: 'POST' } });
  const body = await request.text();
  if (body.length > MAX_EVENTS_BODY) return new Response(null, { status: 413 });
  const target = new URL('/collect', config.endpoint);
  target.searchParams.set('key', config.storefrontKey);
  try {
    const upstream = await (config.fetch ?? fetch)(target, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
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
