/**
 * Browser-side tracking for the React integrations: a consent-bound visitor cookie the
 * server can read, and events sent by beacon to a same-origin relay.
 */
import { collectorFor } from './collector';
import { buildEvent, randomId, type EventFields } from './events';
import { readCookie, VISITOR_COOKIE } from './cookies';
import type { Consent, EventInput, EventType } from './types';

const ONE_YEAR_S = 60 * 60 * 24 * 365;

/** The visitor id from the first-party cookie, created with consent and removed without it. */
export function consentedVisitorId(consent: Consent): string | null {
  if (!consent.analytics && !consent.personalization) {
    if (readCookie(document.cookie, VISITOR_COOKIE)) document.cookie = `${VISITOR_COOKIE}=; Path=/; Max-Age=0; SameSite=Lax`;
    return null;
  }
  const existing = readCookie(document.cookie, VISITOR_COOKIE);
  if (existing) return existing;
  const id = randomId();
  const secure = location.protocol === 'https:' ? '; Secure' : '';
  document.cookie = `${VISITOR_COOKIE}=${id}; Path=/; Max-Age=${ONE_YEAR_S}; SameSite=Lax${secure}`;
  return id;
}

export interface TrackOptions {
  /** Send at once, for clicks that navigate. */
  urgent?: boolean;
  /** The logged-in customer's token, handed to the page by the shop's server. */
  customerToken?: string | null;
}

/**
 * Queue one event for `path` when consent allows (batched, sent by beacon); returns it,
 * or null when nothing will be sent. A customer is named only by `customerToken`.
 */
export function trackEvent(
  path: string,
  consent: Consent,
  type: EventType,
  fields: EventFields,
  options: TrackOptions = {},
): EventInput | null {
  const visitorId = consentedVisitorId(consent);
  if (!consent.analytics || !visitorId) return null;
  const event = buildEvent(type, fields, { visitorId, consent, customerToken: options.customerToken ?? null });
  collectorFor(path).push(event, options.urgent ?? false);
  return event;
}
