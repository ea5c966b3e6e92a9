/**
 * Working stand-ins for Hydrogen, for tests: the analytics bus (publish reaches subscribers)
 * and `CartForm` (a form that records what it would post to the cart route).
 */
import type { AnalyticsContextValue, CartFormProps, CustomerPrivacy } from '@shopify/hydrogen';
import { createElement, type FormEvent, type ReactNode } from 'react';

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

/** What `CartForm`s posted: the action and inputs the cart route would read. */
export const cartForms = {
  submitted: [] as { route: string; action: string; inputs: Record<string, unknown> }[],
  reset(): void {
    this.submitted = [];
  },
};

const INPUT_NAME = 'cartFormInput';

function getFormInput(formData: FormData): { action: string; inputs: Record<string, unknown> } {
  const others: Record<string, unknown> = {};
  for (const [key, value] of formData.entries()) if (key !== INPUT_NAME) others[key] = value;
  const { action, inputs } = JSON.parse(String(formData.get(INPUT_NAME) ?? '{}')) as { action: string; inputs?: Record<string, unknown> };
  return { action, inputs: { ...inputs, ...others } };
}

/** As Hydrogen's: a form posting `cartFormInput` (the action and inputs as JSON) to `route`. */
export function CartForm({ children, action, inputs, route = '' }: CartFormProps) {
  const onSubmit = (event: FormEvent<HTMLFormElement>): void => {
    event.preventDefault();
    cartForms.submitted.push({ route, ...getFormInput(new FormData(event.currentTarget)) });
  };
  return createElement(
    'form',
    { action: route, method: 'post', onSubmit },
    createElement('input', { type: 'hidden', name: INPUT_NAME, value: JSON.stringify({ action, inputs }), readOnly: true }),
    typeof children === 'function' ? (children as (fetcher: unknown) => ReactNode)({}) : children,
  );
}

CartForm.INPUT_NAME = INPUT_NAME;
CartForm.ACTIONS = {
  AttributesUpdateInput: 'AttributesUpdateInput',
  LinesAdd: 'LinesAdd',
  LinesRemove: 'LinesRemove',
  LinesUpdate: 'LinesUpdate',
} as const;
CartForm.getFormInput = getFormInput;
