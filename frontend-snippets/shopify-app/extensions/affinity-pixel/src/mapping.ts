/**
 * Shopify's standard customer events as Affinity's `/collect` events: pure functions, so that
 * what the pixel sends is decided here and tested without a browser.
 */
import type {
  PixelEventsCheckoutCompleted,
  PixelEventsProductAddedToCart,
  PixelEventsProductViewed,
  PixelEventsSearchSubmitted,
  ProductVariant,
  Shop,
} from '@shopify/web-pixels-extension';
import { isRecommendationId, LINE_PROPERTY } from '../../../../core/attribution';
import { affinityProductId, buildEvent } from '../../../../core/events';
import type { Consent, EventInput } from '../../../../core/types';

/**
 * The customer events the pixel forwards. `collection_viewed` is not among them: Affinity's
 * event API has no collection event, and a collection page is no view of any one product.
 */
export const FORWARDED_EVENTS = ['product_viewed', 'product_added_to_cart', 'search_submitted', 'checkout_completed'] as const;

export type ForwardedEvent =
  | PixelEventsProductViewed
  | PixelEventsProductAddedToCart
  | PixelEventsSearchSubmitted
  | PixelEventsCheckoutCompleted;

/** The app proxy path (`[app_proxy]` in shopify.app.toml) that forwards to Affinity's `/collect`. */
export const APP_PROXY_COLLECT_PATH = '/apps/affinity/collect';
/** What Affinity keeps of an id, a query or a batch: longer ones would be refused. */
const MAX_EVENT_ID_LENGTH = 128;
const MAX_QUERY_LENGTH = 512;
const MAX_URL_LENGTH = 2048;
export const MAX_EVENTS_PER_BEACON = 25;

/** The visitor's choices as Shopify reports them, in `init` and with every consent change. */
export interface ShopifyPrivacy {
  analyticsProcessingAllowed: boolean;
  preferencesProcessingAllowed: boolean;
}

export function consentFrom(privacy: ShopifyPrivacy | null | undefined): Consent {
  return {
    analytics: privacy?.analyticsProcessingAllowed === true,
    personalization: privacy?.preferencesProcessingAllowed === true,
  };
}

/**
 * Where events go: the pixel's `collectUrl` setting when it is an http(s) URL, else the app
 * proxy on the shop's storefront (its primary domain, else its myshopify domain). Null when
 * neither is known or the setting is not a URL: then nothing is sent.
 */
export function collectUrlFor(settings: Record<string, unknown>, shop: Partial<Shop> | null | undefined): string | null {
  const configured = typeof settings.collectUrl === 'string' ? settings.collectUrl.trim() : '';
  if (configured) return httpUrl(configured);
  const storefront = typeof shop?.storefrontUrl === 'string' && shop.storefrontUrl ? httpUrl(shop.storefrontUrl) : null;
  const domain = shop?.myshopifyDomain;
  const origin = storefront ? new URL(storefront).origin : domain && /^[a-z0-9][a-z0-9.-]*$/i.test(domain) ? `https://${domain}` : null;
  return origin ? `${origin}${APP_PROXY_COLLECT_PATH}` : null;
}

function httpUrl(value: string): string | null {
  if (value.length > MAX_URL_LENGTH) return null;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.toString() : null;
  } catch {
    return null;
  }
}

function shortId(id: string | null | undefined): string | undefined {
  const short = id ? affinityProductId(id) : '';
  return short || undefined;
}

function variantFields(variant: ProductVariant | null | undefined): { productId?: string; variantId?: string } {
  return { productId: shortId(variant?.product?.id), variantId: shortId(variant?.id) };
}

/** The event's own id and time, so a delivery Shopify repeats is stored once. */
function stamped(event: EventInput, eventId: string, timestamp: string | undefined): EventInput {
  const occurredAt = timestamp && !Number.isNaN(Date.parse(timestamp)) ? new Date(timestamp).toISOString() : event.occurredAt;
  return { ...event, eventId: eventId.length <= MAX_EVENT_ID_LENGTH ? eventId : event.eventId, occurredAt };
}

/**
 * The `/collect` events for one customer event: none when it names no product (or no query),
 * one per line for a completed checkout.
 */
export function affinityEvents(event: ForwardedEvent, visitorId: string, consent: Consent): EventInput[] {
  const visitor = { visitorId, consent };
  const single = (built: EventInput): EventInput[] => [stamped(built, `pixel-${event.id}`, event.timestamp)];
  switch (event.name) {
    case 'product_viewed': {
      const fields = variantFields(event.data?.productVariant);
      return fields.productId ? single(buildEvent('PRODUCT_VIEWED', fields, visitor)) : [];
    }
    case 'product_added_to_cart': {
      const line = event.data?.cartLine;
      const fields = variantFields(line?.merchandise);
      if (!fields.productId) return [];
      const quantity = Number.isInteger(line?.quantity) && (line?.quantity ?? 0) > 0 ? line?.quantity : undefined;
      return single(buildEvent('PRODUCT_ADDED_TO_CART', { ...fields, quantity }, visitor));
    }
    case 'search_submitted': {
      const query = event.data?.searchResult?.query?.trim() ?? '';
      if (!query || query.length > MAX_QUERY_LENGTH) return [];
      return single(buildEvent('SEARCH_SUBMITTED', { query }, visitor));
    }
    case 'checkout_completed': {
      const checkout = event.data?.checkout;
      const order = shortId(checkout?.order?.id) ?? checkout?.token ?? event.id;
      return (checkout?.lineItems ?? []).flatMap((line, index) => {
        const fields = variantFields(line.variant);
        if (!fields.productId) return [];
        const property = line.properties?.find((candidate) => candidate.key === LINE_PROPERTY)?.value;
        const quantity = Number.isInteger(line.quantity) && line.quantity > 0 ? line.quantity : undefined;
        const recommendationId = isRecommendationId(property) ? property : undefined;
        const built = buildEvent('CHECKOUT_COMPLETED', { ...fields, quantity, recommendationId }, visitor);
        return [stamped(built, `checkout-${order}-${index}`, event.timestamp)];
      });
    }
    default:
      return [];
  }
}

/** `/collect` bodies of at most `MAX_EVENTS_PER_BEACON` events each. */
export function beaconBodies(events: EventInput[]): string[] {
  const bodies: string[] = [];
  for (let start = 0; start < events.length; start += MAX_EVENTS_PER_BEACON) {
    bodies.push(JSON.stringify({ events: events.slice(start, start + MAX_EVENTS_PER_BEACON) }));
  }
  return bodies;
}
