import { describe, expect, it } from 'vitest';
import { loadShopifyConsentApi, parseConsentAttribute, resolveConsent, shopifyConsent } from '../src/consent';
import { VISITOR_KEY, visitorIdFor } from '../src/visitor';

const privacy = (analytics: boolean, preferences: boolean) => ({
  Shopify: { customerPrivacy: { analyticsProcessingAllowed: () => analytics, preferencesProcessingAllowed: () => preferences } },
});

describe('consent', () => {
  it('reads the attribute', () => {
    expect(parseConsentAttribute(null)).toBeNull();
    expect(parseConsentAttribute('granted')).toEqual({ analytics: true, personalization: true });
    expect(parseConsentAttribute('denied')).toEqual({ analytics: false, personalization: false });
    expect(parseConsentAttribute('analytics')).toEqual({ analytics: true, personalization: false });
    expect(parseConsentAttribute('personalization, analytics')).toEqual({ analytics: true, personalization: true });
  });

  it("reads Shopify's Customer Privacy API", () => {
    expect(shopifyConsent({})).toBeNull();
    expect(shopifyConsent(privacy(true, false))).toEqual({ analytics: true, personalization: false });
    const broken = { Shopify: { customerPrivacy: { analyticsProcessingAllowed: () => { throw new Error('not ready'); } } } };
    expect(shopifyConsent(broken)).toEqual({ analytics: false, personalization: false });
  });

  it("loads Shopify's consent API on a theme that has not loaded it", () => {
    const requested: unknown[] = [];
    let loaded = 0;
    const theme = { Shopify: { loadFeatures: (features: unknown[], callback: (error?: unknown) => void) => (requested.push(...features), callback()) } };
    loadShopifyConsentApi(theme, () => loaded++);
    expect(requested).toEqual([{ name: 'consent-tracking-api', version: '0.1' }]);
    expect(loaded).toBe(1);
    loadShopifyConsentApi({ Shopify: { ...privacy(true, true).Shopify, loadFeatures: theme.Shopify.loadFeatures } }, () => loaded++);
    expect(loaded).toBe(1);
  });

  it('lets the attribute win and allows nothing by default', () => {
    expect(resolveConsent('denied', privacy(true, true))).toEqual({ analytics: false, personalization: false });
    expect(resolveConsent(null, privacy(true, true))).toEqual({ analytics: true, personalization: true });
    expect(resolveConsent(null, {})).toEqual({ analytics: false, personalization: false });
  });
});

describe('visitor id', () => {
  it('is stored only with consent and forgotten without it', () => {
    localStorage.clear();
    expect(visitorIdFor({ analytics: false, personalization: false })).toBeNull();
    expect(localStorage.getItem(VISITOR_KEY)).toBeNull();
    const id = visitorIdFor({ analytics: true, personalization: false });
    expect(id).toBeTruthy();
    expect(visitorIdFor({ analytics: true, personalization: true })).toBe(id);
    expect(localStorage.getItem(VISITOR_KEY)).toBe(id);
    visitorIdFor({ analytics: false, personalization: false });
    expect(localStorage.getItem(VISITOR_KEY)).toBeNull();
  });
});
