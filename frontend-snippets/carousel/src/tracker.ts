/** Storefront events from the page itself (add to cart, search...), sent like the carousel's. */
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
  /**
   * The logged-in customer's token, minted by the shop's server. A raw customer id is never
   * sent from the browser: anyone can read the storefront key from the page.
   */
  customerToken?: string | null;
}

export interface Tracker {
  /** Queue an event; returns it, or null when consent forbids sending anything. */
  track(type: EventType, fields?: EventFields, urgent?: boolean): EventInput | null;
  flush(): void;
}

let warned = false;

/** Tell the page once that a raw customer id is not sent, and what to use instead. */
export function warnCustomerIdIgnored(): void {
  if (warned) return;
  warned = true;
  console.warn('Affinity: a customer id is never sent from the browser; give a customer token signed by your server instead.');
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
  if ('customerId' in options) warnCustomerIdIgnored();
  const collector = collectorFor(collectEndpointFor(options));
  const consent = options.consent ?? ((): Consent => resolveConsent(null, window as ShopifyWindow));
  return {
    track(type, fields = {}, urgent = false) {
      const allowed = consent();
      if (!allowed.analytics) return null;
      const visitorId = visitorIdFor(allowed);
      if (!visitorId) return null;
      const event = buildEvent(type, fields, { visitorId, consent: allowed, customerToken: options.customerToken ?? null });
      collector.push(event, urgent);
      return event;
    },
    flush: () => collector.flush(),
  };
}
