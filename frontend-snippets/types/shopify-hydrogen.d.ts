/**
 * The part of `@shopify/hydrogen`'s analytics API the Hydrogen integration uses, as declared by
 * @shopify/hydrogen 2026.4 (`useAnalytics`, `AnalyticsEvent` and the event payloads). Declared
 * here so the snippets type-check without installing Hydrogen and its build toolchain.
 */
declare module '@shopify/hydrogen' {
  export const AnalyticsEvent: {
    PAGE_VIEWED: 'page_viewed';
    PRODUCT_VIEWED: 'product_viewed';
    COLLECTION_VIEWED: 'collection_viewed';
    CART_VIEWED: 'cart_viewed';
    SEARCH_VIEWED: 'search_viewed';
    CART_UPDATED: 'cart_updated';
    PRODUCT_ADD_TO_CART: 'product_added_to_cart';
    PRODUCT_REMOVED_FROM_CART: 'product_removed_from_cart';
    CUSTOM_EVENT: `custom_${string}`;
  };

  type OtherData = { [key: string]: unknown };
  interface ProductPayload {
    id: string;
    title: string;
    price: string;
    vendor: string;
    variantId: string;
    variantTitle: string;
    quantity: number;
    sku?: string | null;
    productType?: string;
  }
  interface CartLine {
    id: string;
    quantity: number;
    merchandise: { id: string; product: { id: string; title: string } };
  }
  export interface ProductViewPayload {
    products: Array<ProductPayload & OtherData>;
    url: string;
  }
  export interface SearchViewPayload {
    searchTerm: string;
    url: string;
  }
  export interface CartLineUpdatePayload extends OtherData {
    prevLine?: CartLine;
    currentLine?: CartLine;
  }
  export type CustomEventPayload = OtherData;

  export interface CustomerPrivacy {
    analyticsProcessingAllowed: () => boolean;
    preferencesProcessingAllowed: () => boolean;
    marketingAllowed: () => boolean;
    saleOfDataAllowed: () => boolean;
  }

  function subscribe(event: typeof AnalyticsEvent.PRODUCT_VIEWED, callback: (payload: ProductViewPayload) => void): void;
  function subscribe(event: typeof AnalyticsEvent.SEARCH_VIEWED, callback: (payload: SearchViewPayload) => void): void;
  function subscribe(
    event: typeof AnalyticsEvent.PRODUCT_ADD_TO_CART | typeof AnalyticsEvent.PRODUCT_REMOVED_FROM_CART,
    callback: (payload: CartLineUpdatePayload) => void,
  ): void;
  function subscribe(event: typeof AnalyticsEvent.CUSTOM_EVENT, callback: (payload: CustomEventPayload) => void): void;
  function publish(event: typeof AnalyticsEvent.CUSTOM_EVENT, payload: OtherData): void;

  export interface AnalyticsContextValue {
    canTrack: () => boolean;
    publish: typeof publish;
    register: (key: string) => { ready: () => void };
    subscribe: typeof subscribe;
    customerPrivacy: CustomerPrivacy | null;
  }

  export function useAnalytics(): AnalyticsContextValue;
}
