/**
 * Affinity's storefront API for Next.js Commerce, in the manner of `lib/shopify`: server-only,
 * configured by environment variables that are never exposed to the browser
 * (`AFFINITY_ENDPOINT`, `AFFINITY_STOREFRONT_KEY`, and for logged-in customers
 * `AFFINITY_SERVER_KEY` and `AFFINITY_CUSTOMER_TOKEN_SECRET`; no `NEXT_PUBLIC_` prefix).
 */
import { cookies } from 'next/headers';
import { affinityCustomerId, affinityProductId } from '@affinity/core/events';
import {
  customerTokenOrNull,
  DEFAULT_CUSTOMER_TOKEN_TTL_SECONDS,
  recommendationsOrNull,
  VISITOR_COOKIE,
  type AffinityServerConfig,
} from '@affinity/core/server';
import type { Placement, Recommendations } from '@affinity/core/types';

export type { Product, Recommendations, RecommendedItem } from '@affinity/core/types';

type Env = Record<string, string | undefined>;

/** The endpoint and keys from the environment, or null when Affinity is not configured. */
export function affinityConfig(env: Env = process.env): AffinityServerConfig | null {
  const endpoint = env.AFFINITY_ENDPOINT;
  const storefrontKey = env.AFFINITY_STOREFRONT_KEY;
  if (!endpoint || !storefrontKey) return null;
  return { endpoint, storefrontKey, serverKey: env.AFFINITY_SERVER_KEY || null };
}

/**
 * The customer token for a logged-in customer's page, for the client components'
 * `customerToken` prop; null for a guest or without `AFFINITY_CUSTOMER_TOKEN_SECRET`.
 */
export function affinityCustomerToken(
  customerId: string | null | undefined,
  { ttlSeconds = DEFAULT_CUSTOMER_TOKEN_TTL_SECONDS, env = process.env }: { ttlSeconds?: number; env?: Env } = {},
): string | null {
  return customerTokenOrNull(env.AFFINITY_CUSTOMER_TOKEN_SECRET, customerId ? affinityCustomerId(customerId) : null, ttlSeconds);
}

/** The visitor id from the consent-bound cookie; reading cookies keeps the page dynamic. */
async function consentedVisitor(): Promise<string | null> {
  const id = (await cookies()).get(VISITOR_COOKIE)?.value ?? null;
  return id && /^[\w-]{8,64}$/.test(id) ? id : null;
}

export interface RecommendationOptions {
  placement?: Placement;
  productId?: string;
  productIds?: string[];
  similar?: boolean;
  first?: number;
  /**
   * The logged-in customer's id (or GID). Sent with `AFFINITY_SERVER_KEY` only, and only for
   * visitors whose consent cookie is present; without the server key the ranking is anonymous.
   */
  customerId?: string | null;
}

/**
 * A ranking for this visitor, or null when Affinity is unconfigured, down or slow. Fetched
 * without any cache: `'use cache'` must never wrap it, as the answer is personal.
 */
export async function getRecommendations(options: RecommendationOptions = {}): Promise<Recommendations | null> {
  // The cookie first, even when Affinity is not configured: reading it marks the page dynamic,
  // so a build without the variables never prerenders the page without recommendations.
  const visitorId = await consentedVisitor();
  const config = affinityConfig();
  if (!config) return null;
  const productId = options.productId ? affinityProductId(options.productId) : null;
  const context = (options.productIds ?? []).map(affinityProductId);
  return recommendationsOrNull(
    {
      placement: options.placement ?? (productId ? 'PRODUCT' : 'HOME'),
      productIds: productId ? [productId, ...context] : context,
      similarTo: options.similar ? productId : null,
      visitorId,
      customerId: visitorId && options.customerId ? affinityCustomerId(options.customerId) : null,
      first: options.first ?? 10,
    },
    config,
    (error) => console.error('Affinity recommendations unavailable', error),
  );
}
