/**
 * Affinity's storefront API for Next.js Commerce, in the manner of `lib/shopify`: server-only,
 * configured by environment variables that are never exposed to the browser
 * (`AFFINITY_ENDPOINT`, `AFFINITY_STOREFRONT_KEY`; no `NEXT_PUBLIC_` prefix).
 */
import { cookies } from 'next/headers';
import { affinityProductId } from '../../../core/events';
import { recommendationsOrNull, VISITOR_COOKIE } from '../../../core/server';
import type { Placement, Recommendations } from '../../../core/types';

export type { Product, Recommendations, RecommendedItem } from '../../../core/types';

export function affinityConfig(env: Record<string, string | undefined> = process.env) {
  const endpoint = env.AFFINITY_ENDPOINT;
  const storefrontKey = env.AFFINITY_STOREFRONT_KEY;
  return endpoint && storefrontKey ? { endpoint, storefrontKey } : null;
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
}

/**
 * A ranking for this visitor, or null when Affinity is unconfigured, down or slow. Fetched
 * without any cache: `'use cache'` must never wrap it, as the answer is personal.
 */
export async function getRecommendations(options: RecommendationOptions = {}): Promise<Recommendations | null> {
  const config = affinityConfig();
  if (!config) return null;
  const visitorId = await consentedVisitor();
  const productId = options.productId ? affinityProductId(options.productId) : null;
  const context = (options.productIds ?? []).map(affinityProductId);
  return recommendationsOrNull(
    {
      placement: options.placement ?? (productId ? 'PRODUCT' : 'HOME'),
      productIds: productId ? [productId, ...context] : context,
      similarTo: options.similar ? productId : null,
      visitorId,
      first: options.first ?? 10,
    },
    config,
    (error) => console.error('Affinity recommendations unavailable', error),
  );
}
