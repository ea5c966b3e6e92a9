/** Custom Hydrogen analytics events the recommendation component publishes. */
export const AFFINITY_EVENTS = {
  RECOMMENDATIONS_VIEWED: 'custom_affinity_recommendations_viewed',
  PRODUCT_CLICKED: 'custom_affinity_product_clicked',
  PRODUCT_DISMISSED: 'custom_affinity_product_dismissed',
} as const;
