import { FULL_CONSENT, NO_CONSENT, type Consent } from '../../core/types';

/** The part of Shopify's Customer Privacy API the carousel reads. */
export interface CustomerPrivacy {
  analyticsProcessingAllowed?: () => boolean;
  preferencesProcessingAllowed?: () => boolean;
}

type LoadFeatures = (features: { name: string; version: string }[], callback: (error?: unknown) => void) => void;

export interface ShopifyWindow {
  Shopify?: {
    customerPrivacy?: CustomerPrivacy;
    currency?: { active?: string };
    loadFeatures?: LoadFeatures;
    /** The storefront's root path, with its locale (`/fr/`): where the Ajax cart API lives. */
    routes?: { root?: string };
    /** The shop's myshopify domain, set by Online Store themes. */
    shop?: string;
  };
}

/** Events after which Shopify's answer may have changed. */
const SHOPIFY_CONSENT_EVENTS = ['visitorConsentCollected', 'consentTrackingApiLoaded'];

/**
 * Read the `consent` attribute: "granted", "denied", or the allowed purposes
 * ("analytics personalization"). Returns null when the attribute is absent.
 */
export function parseConsentAttribute(value: string | null): Consent | null {
  if (value === null) return null;
  const tokens = value.toLowerCase().split(/[\s,]+/).filter(Boolean);
  if (tokens.includes('granted') || tokens.includes('all')) return FULL_CONSENT;
  return {
    analytics: tokens.includes('analytics'),
    personalization: tokens.includes('personalization'),
  };
}

export function shopifyConsent(win: ShopifyWindow): Consent | null {
  const privacy = win.Shopify?.customerPrivacy;
  if (!privacy) return null;
  try {
    return {
      analytics: privacy.analyticsProcessingAllowed?.() === true,
      personalization: privacy.preferencesProcessingAllowed?.() === true,
    };
  } catch {
    return NO_CONSENT;
  }
}

/** The explicit attribute wins, then Shopify's API; with neither, nothing is allowed. */
export function resolveConsent(attribute: string | null, win: ShopifyWindow): Consent {
  return parseConsentAttribute(attribute) ?? shopifyConsent(win) ?? NO_CONSENT;
}

/**
 * On a Shopify theme the Customer Privacy API is loaded on demand; ask for it once, so the
 * one script tag is enough. `onLoaded` runs when Shopify's answer can be read.
 */
export function loadShopifyConsentApi(win: ShopifyWindow, onLoaded: () => void): void {
  const shopify = win.Shopify;
  if (!shopify?.loadFeatures || shopify.customerPrivacy) return;
  try {
    shopify.loadFeatures([{ name: 'consent-tracking-api', version: '0.1' }], (error) => {
      if (!error) onLoaded();
    });
  } catch {
    // Without the API nothing is allowed, which is the safe answer.
  }
}

/** Call `onChange` whenever Shopify reports a new consent decision. Returns the unsubscriber. */
export function watchShopifyConsent(doc: Document, onChange: () => void): () => void {
  for (const name of SHOPIFY_CONSENT_EVENTS) doc.addEventListener(name, onChange);
  return () => {
    for (const name of SHOPIFY_CONSENT_EVENTS) doc.removeEventListener(name, onChange);
  };
}
