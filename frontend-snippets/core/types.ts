/** Shapes of Affinity's storefront API, shared by every integration. */

export type Placement = 'HOME' | 'PRODUCT' | 'CART' | 'SEARCH' | 'POST_PURCHASE' | 'EMAIL';

export type EventType =
  | 'PRODUCT_VIEWED'
  | 'PRODUCT_CLICKED'
  | 'PRODUCT_ADDED_TO_CART'
  | 'PRODUCT_REMOVED_FROM_CART'
  | 'SEARCH_SUBMITTED'
  | 'CHECKOUT_COMPLETED'
  | 'RECOMMENDATIONS_VIEWED'
  | 'PRODUCT_DISMISSED';

export interface Product {
  id: string;
  handle?: string | null;
  title: string;
  vendor?: string | null;
  productType?: string | null;
  price?: number | null;
  currency?: string | null;
  imageUrl?: string | null;
  url?: string | null;
  available: boolean;
}

export interface Reason {
  code: string;
  message: string;
}

export interface RecommendedItem {
  product: Product;
  score: number;
  reasons: Reason[];
}

/** One ranking: what was shown, in which order, under an id that later events refer to. */
export interface Recommendations {
  recommendationId: string;
  items: RecommendedItem[];
}

/** What the visitor allowed. Without `analytics` no event leaves the browser. */
export interface Consent {
  analytics: boolean;
  personalization: boolean;
}

export interface EventInput {
  eventId: string;
  type: EventType;
  visitorId: string;
  /**
   * Proof of the logged-in customer, minted by the shop's own server (`signCustomerToken`).
   * A browser never sends a raw customer id: anyone can read the storefront key from the page.
   */
  customerToken?: string;
  productId?: string;
  variantId?: string;
  quantity?: number;
  query?: string;
  recommendationId?: string;
  dwellMs?: number;
  /** The kind of device the visitor uses. */
  deviceClass?: DeviceClass;
  /** The visitor's country or region, an ISO 3166 code (`GB`, `GB-ENG`). */
  region?: string;
  /** The hour of the day (0-23) on the visitor's clock. */
  localHour?: number;
  occurredAt: string;
  consent: Consent;
}

export type DeviceClass = 'MOBILE' | 'DESKTOP' | 'TABLET';

export const NO_CONSENT: Consent = Object.freeze({ analytics: false, personalization: false });
export const FULL_CONSENT: Consent = Object.freeze({ analytics: true, personalization: true });
