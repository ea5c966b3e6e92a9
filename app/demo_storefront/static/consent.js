// @ts-check
/**
 * A stand-in for Shopify's Customer Privacy API (`window.Shopify.customerPrivacy`), so the
 * demo shop exercises the same consent path as a real Shopify theme, with a small banner.
 */

const KEY = 'demo.trackingConsent';

/** @returns {'yes' | 'no' | null} */
function stored() {
  const value = localStorage.getItem(KEY);
  return value === 'yes' || value === 'no' ? value : null;
}

/** @param {boolean} allowed */
function decide(allowed) {
  localStorage.setItem(KEY, allowed ? 'yes' : 'no');
  const detail = {
    analyticsAllowed: allowed,
    preferencesAllowed: allowed,
    marketingAllowed: false,
    firstPartyMarketingAllowed: false,
    thirdPartyMarketingAllowed: false,
    saleOfDataAllowed: false,
  };
  document.dispatchEvent(new CustomEvent('visitorConsentCollected', { detail }));
}

const customerPrivacy = {
  analyticsProcessingAllowed: () => stored() === 'yes',
  preferencesProcessingAllowed: () => stored() === 'yes',
  marketingAllowed: () => false,
  saleOfDataAllowed: () => false,
  shouldShowBanner: () => stored() === null,
  currentVisitorConsent: () => ({
    analytics: stored() ?? '',
    preferences: stored() ?? '',
    marketing: 'no',
    sale_of_data: 'no',
  }),
  /**
   * @param {{ analytics?: boolean, preferences?: boolean }} consent
   * @param {(error?: { error: string }) => void} [callback]
   */
  setTrackingConsent(consent, callback) {
    decide(Boolean(consent.analytics && consent.preferences));
    callback?.();
  },
};

const shopify = /** @type {{ Shopify?: Record<string, unknown> }} */ (/** @type {unknown} */ (window));
shopify.Shopify = { ...shopify.Shopify, customerPrivacy };

/** Show the banner until the visitor decides; the footer link reopens it. */
export function setUpConsentBanner() {
  const banner = /** @type {HTMLElement} */ (document.getElementById('consent-banner'));
  /** @param {boolean} allowed */
  const answer = (allowed) => {
    customerPrivacy.setTrackingConsent({ analytics: allowed, preferences: allowed });
    banner.hidden = true;
  };
  document.getElementById('consent-accept')?.addEventListener('click', () => answer(true));
  document.getElementById('consent-decline')?.addEventListener('click', () => answer(false));
  document.getElementById('consent-reopen')?.addEventListener('click', () => {
    banner.hidden = false;
  });
  banner.hidden = !customerPrivacy.shouldShowBanner();
}
