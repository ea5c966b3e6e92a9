/**
 * The visitor's consent as a Hydrogen storefront knows it. Shopify's Customer Privacy API
 * usually loads after the page has hydrated and the visitor may decide later still, so consent
 * is read when it is needed, never once at mount, and changes arrive as document events:
 * `shopifyCustomerPrivacyApiLoaded` (Hydrogen, once the API is ready) and
 * `visitorConsentCollected` (the API, whenever the visitor decides).
 */
import type { Consent } from '@affinity/core/types';

/** What reads consent: Hydrogen's `canTrack()` and the context's `customerPrivacy` (null until loaded). */
export interface ConsentSources {
  canTrack: () => boolean;
  customerPrivacy: { preferencesProcessingAllowed: () => boolean } | null;
}

/** The Customer Privacy API on the page, whether or not the analytics context has caught up. */
function pagePrivacy(): Partial<{ preferencesProcessingAllowed: () => boolean }> | null {
  if (typeof window === 'undefined') return null;
  return (window as { Shopify?: { customerPrivacy?: Partial<{ preferencesProcessingAllowed: () => boolean }> } }).Shopify?.customerPrivacy ?? null;
}

/** Consent now: analytics as `canTrack()` says, personalization as the privacy API says. */
export function currentConsent({ canTrack, customerPrivacy }: ConsentSources): Consent {
  const privacy = customerPrivacy ?? pagePrivacy();
  let personalization = false;
  try {
    personalization = privacy?.preferencesProcessingAllowed?.() === true;
  } catch {
    // A privacy API that throws allows nothing.
  }
  return { analytics: canTrack(), personalization };
}

/** The visitor's decision carried by a `visitorConsentCollected` event, or null for another event. */
export function consentFromEvent(event: Event): Consent | null {
  const detail = (event as CustomEvent<unknown>).detail;
  if (typeof detail !== 'object' || detail === null) return null;
  const { analyticsAllowed, preferencesAllowed } = detail as Record<string, unknown>;
  return { analytics: analyticsAllowed === true, personalization: preferencesAllowed === true };
}

/** The document events after which consent may have changed. */
export const CONSENT_EVENTS = ['visitorConsentCollected', 'shopifyCustomerPrivacyApiLoaded'] as const;

/** Call `onChange` with the new consent whenever it may have changed; returns the unsubscribe. */
export function onConsentChange(read: () => Consent, onChange: (consent: Consent) => void): () => void {
  const listener = (event: Event): void => onChange(consentFromEvent(event) ?? read());
  for (const name of CONSENT_EVENTS) document.addEventListener(name, listener);
  return () => {
    for (const name of CONSENT_EVENTS) document.removeEventListener(name, listener);
  };
}
