import type { Consent, EventInput, EventType } from './types';

export type EventFields = Partial<Omit<EventInput, 'type' | 'visitorId' | 'consent' | 'eventId' | 'occurredAt'>>;

export interface Visitor {
  visitorId: string;
  consent: Consent;
  customerId?: string | null;
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
  if (visitor.customerId) event.customerId = visitor.customerId;
  for (const [key, value] of Object.entries(fields)) {
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
