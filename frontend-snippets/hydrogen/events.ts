/** Names the Hydrogen components and the server side share. */

/** Custom Hydrogen analytics events the recommendation component publishes. */
export const AFFINITY_EVENTS = {
  RECOMMENDATIONS_VIEWED: 'custom_affinity_recommendations_viewed',
  PRODUCT_CLICKED: 'custom_affinity_product_clicked',
  PRODUCT_DISMISSED: 'custom_affinity_product_dismissed',
} as const;

/**
 * The form field naming the clicked recommendations for the cart attribute `_affinity_recs`:
 * `<AffinityAddToCart>` sends it, `CartForm.getFormInput` merges it into the action's
 * `inputs`, and `updateAffinityCartAttributes` (affinity.server.ts) reads it.
 */
export const AFFINITY_CART_INPUT = 'affinityRecommendationIds';
