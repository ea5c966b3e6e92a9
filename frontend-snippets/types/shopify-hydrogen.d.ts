/**
 * The part of `@shopify/hydrogen`'s analytics API the Hydrogen integration uses, as declared by
 * @shopify/hydrogen 2026.4 (`useAnalytics`, `AnalyticsEvent` and the event payloads, `CartForm`). Declared
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
    /** The line's custom attributes, when the cart fragment asks for them. */
    attributes?: Array<{ key: string; value?: string | null }>;
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

  /** The Storefront API's `AttributeInput`: a cart's or a cart line's custom attribute. */
  export interface AttributeInput {
    key: string;
    value: string;
  }
  export interface CartLineInput {
    merchandiseId: string;
    quantity?: number;
    attributes?: AttributeInput[];
    sellingPlanId?: string;
  }
  type OtherFormData = { [key: string]: unknown };
  type CartFormActionProps =
    | { action: 'LinesAdd'; inputs?: { lines: CartLineInput[] } & OtherFormData }
    | { action: 'AttributesUpdateInput'; inputs?: { attributes: AttributeInput[] } & OtherFormData };
  export type CartFormProps = CartFormActionProps & {
    children: import('react').ReactNode | ((fetcher: unknown) => import('react').ReactNode);
    route?: string;
    fetcherKey?: string;
  };
  export function CartForm(props: CartFormProps): import('react').JSX.Element;
  export namespace CartForm {
    const INPUT_NAME: 'cartFormInput';
    const ACTIONS: {
      readonly AttributesUpdateInput: 'AttributesUpdateInput';
      readonly LinesAdd: 'LinesAdd';
      readonly LinesRemove: 'LinesRemove';
      readonly LinesUpdate: 'LinesUpdate';
    };
    function getFormInput(formData: FormData): { action: string; inputs: Record<string, unknown> };
  }
}
