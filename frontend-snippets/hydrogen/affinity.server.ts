/**
 * Loader functions for Hydrogen routes. The ranking is fetched on the server with the keys from
 * the environment, handed to the page as deferred data, and never cached shared. A logged-in
 * customer is named by id with the private server key, and to the browser by a customer token
 * (`affinityCustomerToken`, for `<AffinityAnalytics customerToken>`).
 *
 *   export async function loader(args: Route.LoaderArgs) {
 *     const critical = await loadCriticalData(args);
 *     const recommendations = loadAffinityRecommendations({
 *       request: args.request, env: args.context.env, placement: 'PRODUCT', productId: critical.product.id,
 *     }); // not awaited: streamed in after the page
 *     return { ...critical, recommendations };
 *   }
 *   export const headers = affinityHeaders;
 */
import type { Placement, Recommendations } from '@affinity/core/types';
import { CART_ATTRIBUTE, checkedCartAttribution, mergeCartAttributes, type CartAttribute } from '@affinity/core/attribution';
import { AFFINITY_CART_INPUT } from './events';
import { affinityCustomerId, affinityProductId } from '@affinity/core/events';
import {
  customerTokenOrNull,
  DEFAULT_CUSTOMER_TOKEN_TTL_SECONDS,
  forwardEvents,
  PERSONALIZED_CACHE_HEADERS,
  recommendationsOrNull,
  visitorFromCookies,
} from '@affinity/core/server';

declare global {
  /**
   * Hydrogen's `context.env` (the global `Env` of the app's `env.d.ts`) with the variables Affinity
   * reads, merged in wherever this module is part of the app, so `args.context.env` type-checks
   * as `loadAffinityRecommendations`'s `env`.
   */
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface Env extends AffinityEnv {}
}

/** Set in the storefront's environment (Oxygen variables, `.env`); never sent to the browser. */
export interface AffinityEnv {
  AFFINITY_ENDPOINT: string;
  AFFINITY_STOREFRONT_KEY: string;
  /** The shop's private server key (`srk_…`): lets loaders name the logged-in customer. */
  AFFINITY_SERVER_KEY?: string;
  /** The shop's customer-token secret (`cts_…`): signs the token the browser's events carry. */
  AFFINITY_CUSTOMER_TOKEN_SECRET?: string;
}

export interface AffinityLoaderArgs {
  request: Request;
  env: AffinityEnv;
  placement?: Placement;
  /** A Shopify product GID or id: the product on a product page. */
  productId?: string | null;
  /** Other context products, e.g. the cart's. */
  productIds?: string[];
  /** Ask for products similar to `productId` instead of a personalized ranking. */
  similar?: boolean;
  /**
   * The logged-in customer's id (or GID). Sent with `AFFINITY_SERVER_KEY` only, and only for visitors
   * whose consent cookie is present; without the server key the ranking is anonymous.
   */
  customerId?: string | null;
  first?: number;
  fetch?: typeof fetch;
  onError?: (error: unknown) => void;
}

/**
 * Start fetching a ranking; resolves to null on any failure so `<Await>` renders nothing.
 * Personalized only when the visitor's consent cookie is present.
 */
export function loadAffinityRecommendations(args: AffinityLoaderArgs): Promise<Recommendations | null> {
  const visitorId = visitorFromCookies(args.request.headers.get('Cookie'));
  const productId = args.productId ? affinityProductId(args.productId) : null;
  const context = (args.productIds ?? []).map(affinityProductId);
  return recommendationsOrNull(
    {
      placement: args.placement ?? (productId ? 'PRODUCT' : 'HOME'),
      productIds: productId ? [productId, ...context] : context,
      similarTo: args.similar ? productId : null,
      visitorId,
      customerId: visitorId && args.customerId ? affinityCustomerId(args.customerId) : null,
      first: args.first ?? 8,
    },
    {
      endpoint: args.env.AFFINITY_ENDPOINT,
      storefrontKey: args.env.AFFINITY_STOREFRONT_KEY,
      serverKey: args.env.AFFINITY_SERVER_KEY ?? null,
      ...(args.fetch ? { fetch: args.fetch } : {}),
    },
    args.onError ?? ((error) => console.error('Affinity recommendations unavailable', error)),
  );
}

/**
 * The customer token for a logged-in customer's page (null for a guest, or without
 * `AFFINITY_CUSTOMER_TOKEN_SECRET`): return it from the root loader and pass it to
 * `<AffinityAnalytics customerToken>`, so the browser's events name the customer with proof.
 */
export function affinityCustomerToken({
  env,
  customerId,
  ttlSeconds = DEFAULT_CUSTOMER_TOKEN_TTL_SECONDS,
}: {
  env: AffinityEnv;
  customerId: string | null | undefined;
  ttlSeconds?: number;
}): string | null {
  return customerTokenOrNull(env.AFFINITY_CUSTOMER_TOKEN_SECRET, customerId ? affinityCustomerId(customerId) : null, ttlSeconds);
}

/** A route's `headers` export for pages that show personalized recommendations. */
export function affinityHeaders(): Headers {
  return new Headers(PERSONALIZED_CACHE_HEADERS);
}

/**
 * The `action` of a resource route (e.g. `app/routes/api.affinity.collect.ts`) that relays the
 * browser's events to Affinity with the storefront key added on the server; a raw
 * `customerId` in them is dropped, a `customerToken` goes through.
 */
export function affinityCollectAction({ request, context }: { request: Request; context: { env: AffinityEnv } }): Promise<Response> {
  return forwardEvents(request, { endpoint: context.env.AFFINITY_ENDPOINT, storefrontKey: context.env.AFFINITY_STOREFRONT_KEY });
}

/** The part of Hydrogen's cart handler (`context.cart`) the cart attribute needs. */
export interface AffinityCartHandler<Result> {
  get(): Promise<{ attributes?: ReadonlyArray<{ key: string; value?: string | null }> | null } | null>;
  updateAttributes(attributes: CartAttribute[]): Promise<Result>;
}

/**
 * In the cart route's action, after `cart.addLines(inputs.lines)`: sets the cart attribute
 * `_affinity_recs` from what `<AffinityAddToCart>` sent (checked: Affinity's recommendation ids
 * only, at most 20), keeping the cart's other attributes (`cartAttributesUpdate` replaces the
 * whole set). Resolves to the update's result, or null when there was nothing to set.
 *
 *   case CartForm.ACTIONS.LinesAdd:
 *     result = await cart.addLines(inputs.lines);
 *     result = (await updateAffinityCartAttributes(cart, inputs)) ?? result;
 *     break;
 */
export async function updateAffinityCartAttributes<Result>(
  cart: AffinityCartHandler<Result>,
  inputs: Record<string, unknown>,
): Promise<Result | null> {
  const sent = inputs[AFFINITY_CART_INPUT];
  if (typeof sent !== 'string' || !sent) return null;
  const { cartAttributes } = checkedCartAttribution({ cartAttributes: [{ key: CART_ATTRIBUTE, value: sent }] });
  if (!cartAttributes.length) return null;
  const current = (await cart.get())?.attributes ?? [];
  const existing = current.map(({ key, value }) => ({ key, value: value ?? '' }));
  if (existing.some((attribute) => attribute.key === CART_ATTRIBUTE && attribute.value === cartAttributes[0]?.value)) return null;
  return cart.updateAttributes(mergeCartAttributes(existing, cartAttributes));
}
