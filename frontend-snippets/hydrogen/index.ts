export { AffinityAnalytics, type AffinityAnalyticsProps } from './AffinityAnalytics';
export {
  AffinityRecommendations,
  AffinityRecommendationsSkeleton,
  type AffinityRecommendationsProps,
} from './AffinityRecommendations';
export { AFFINITY_EVENTS } from './events';
