/** A working stand-in for Hydrogen's analytics bus, for tests: publish reaches subscribers. */
import type { AnalyticsContextValue, CustomerPrivacy } from '@shopify/hydrogen';

export const AnalyticsEvent = {
  PAGE_VIEWED: 'page_viewed',
  PRODUCT_VIEWED: 'product_viewed',
  COLLECTION_VIEWED: 'collection_viewed',
  CART_VIEWED: 'cart_viewed',
  SEARCH_VIEWED: 'search_viewed',
  CART_UPDATED: 'cart_updated',
  PRODUCT_ADD_TO_CART: 'product_added_to_cart',
  PRODUCT_REMOVED_FROM_CART: 'product_removed_from_cart',
  CUSTOM_EVENT: 'custom_',
} as const;

type Callback = (payload: Record<string, unknown>) => void;

export const analyticsBus = {
  consent: { analytics: false, preferences: false },
  subscribers: new Map<string, Callback[]>(),
  published: [] as [string, Record<string, unknown>][],
  registered: [] as string[],
  ready: 0,
  reset(): void {
    this.consent = { analytics: false, preferences: false };
    this.subscribers.clear();
    this.published = [];
    this.registered = [];
    this.ready = 0;
  },
  publish(event: string, payload: Record<string, unknown>): void {
    this.published.push([event, payload]);
    for (const callback of this.subscribers.get(event) ?? []) callback(payload);
  },
};

const customerPrivacy: CustomerPrivacy = {
  analyticsProcessingAllowed: () => analyticsBus.consent.analytics,
  preferencesProcessingAllowed: () => analyticsBus.consent.preferences,
  marketingAllowed: () => false,
  saleOfDataAllowed: () => false,
};

const value = {
  canTrack: () => analyticsBus.consent.analytics,
  customerPrivacy,
  publish: (event: string, payload: Record<string, unknown>) => analyticsBus.publish(event, payload),
  register: (key: string) => {
    analyticsBus.registered.push(key);
    return { ready: () => void analyticsBus.ready++ };
  },
  subscribe: (event: string, callback: Callback) => {
    analyticsBus.subscribers.set(event, [...(analyticsBus.subscribers.get(event) ?? []), callback]);
  },
} as unknown as AnalyticsContextValue;

export function useAnalytics(): AnalyticsContextValue {
  return value;
}
