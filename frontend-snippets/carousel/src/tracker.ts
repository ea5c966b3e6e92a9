import { buildEvent, collectUrl, type EventFields } from '../../core/events';
import type { Consent, EventInput, EventType } from '../../core/types';
import { collectorFor } from '../../core/collector';
import { resolveConsent, type ShopifyWindow } from './consent';
import { visitorIdFor } from './visitor';

export interface TrackerOptions {
  storefrontKey: string;
  /** The GraphQL endpoint; `/collect` is found beside it. */
  endpoint?: string;
  /** Where to send events when `/collect` lives elsewhere. */
  collectEndpoint?: string | null;
  /** Asked before every event; defaults to Shopify's Customer Privacy API, else no consent. */
  consent?: () => Consent;
  customerId?: string | null;
}

export interface Tracker {
  /** Queue an event; returns it, or null when consent forbids sending anything. */
  track(type: EventType, fields?: EventFields, urgent?: boolean): EventInput | null;
  flush(): void;
}

export function collectEndpointFor(options: TrackerOptions): string {
  if (!options.collectEndpoint) {
    return collectUrl(options.endpoint ?? '/graphql', options.storefrontKey, document.baseURI);
  }
  const url = new URL(options.collectEndpoint, document.baseURI);
  if (!url.searchParams.has('key')) url.searchParams.set('key', options.storefrontKey);
  return url.toString();
}

/** Send storefront events (add to cart, search...) the same way the carousel does. */
export function createTracker(options: TrackerOptions): Tracker {
  const collector = collectorFor(collectEndpointFor(options));
  const consent = options.consent ?? ((): Consent => resolveConsent(null, window as ShopifyWindow));
  return {
    track(type, fields = {}, urgent = false) {
      const allowed = consent();
      if (!allowed.analytics) return null;
      const visitorId = visitorIdFor(allowed);
      if (!visitorId) return null;
      const event = buildEvent(type, fields, { visitorId, consent: allowed, customerId: options.customerId ?? null });
      collector.push(event, urgent);
      return event;
    },
    flush: () => collector.flush(),
  };
}
