export {
  AffinityAddToCart,
  useAffinityCartAttribution,
  type AffinityAddToCartProps,
} from './AffinityAddToCart';
export { AffinityAnalytics, type AffinityAnalyticsProps } from './AffinityAnalytics';
export {
  AffinityRecommendations,
  AffinityRecommendationsSkeleton,
  type AffinityRecommendationsProps,
} from './AffinityRecommendations';
export { AFFINITY_CART_INPUT, AFFINITY_EVENTS } from './events';
