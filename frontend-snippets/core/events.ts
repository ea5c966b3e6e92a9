/** Storefront events as `/collect` reads them, built the same way by every integration. */
import type { Consent, EventInput, EventType } from './types';

export type EventFields = Partial<Omit<EventInput, 'type' | 'visitorId' | 'consent' | 'eventId' | 'occurredAt' | 'customerToken'>>;

export interface Visitor {
  visitorId: string;
  consent: Consent;
  /** The logged-in customer's token, minted by the shop's server; absent for guests. */
  customerToken?: string | null;
}

/**
 * Fields a browser event never carries, whatever a page passes in: a raw customer id proves
 * nothing next to a public key, and the token comes from `Visitor` only.
 */
const NEVER_FROM_FIELDS = new Set(['customerId', 'customerToken']);

/**
 * The customer token if it is still valid by its own expiry (`v1.<expiry>.…`), else null: an
 * expired token would only get the ranking or the event refused, so the visitor goes on as a
 * guest instead.
 */
export function liveCustomerToken(token: string | null | undefined, nowMs: number = Date.now()): string | null {
  if (!token) return null;
  const expiry = /^v1\.(\d{1,12})\./.exec(token)?.[1];
  return expiry !== undefined && Number(expiry) * 1000 > nowMs ? token : null;
}

export function randomId(): string {
  if (typeof crypto !== 'undefined' && typeof crypto.randomUUID === 'function') {
    return crypto.randomUUID();
  }
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;
}

/** Build an event the way `/collect` expects it; undefined fields are left out. */
export function buildEvent(type: EventType, fields: EventFields, visitor: Visitor): EventInput {
  const event: EventInput = {
    eventId: randomId(),
    type,
    visitorId: visitor.visitorId,
    occurredAt: new Date().toISOString(),
    consent: { analytics: visitor.consent.analytics, personalization: visitor.consent.personalization },
  };
  const customerToken = liveCustomerToken(visitor.customerToken);
  if (customerToken) event.customerToken = customerToken;
  for (const [key, value] of Object.entries(fields)) {
    if (NEVER_FROM_FIELDS.has(key)) continue;
    if (value !== undefined && value !== null && value !== '') Object.assign(event, { [key]: value });
  }
  return event;
}

/** `/collect` beside the GraphQL endpoint, carrying the storefront key in the query string. */
export function collectUrl(graphqlEndpoint: string, storefrontKey: string, base?: string): string {
  const url = new URL('/collect', new URL(graphqlEndpoint, base));
  url.searchParams.set('key', storefrontKey);
  return url.toString();
}

/** Shopify product ids arrive as GIDs ("gid://shopify/Product/123"); Affinity uses "123". */
export function affinityProductId(id: string): string {
  return id.startsWith('gid://') ? (id.split('/').pop()?.split('?')[0] ?? id) : id;
}

/** Customer ids likewise: "gid://shopify/Customer/123" is customer "123" to Affinity. */
export const affinityCustomerId: (id: string) => string = affinityProductId;
