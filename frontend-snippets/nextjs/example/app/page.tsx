import { Suspense } from 'react';
import { AffinityRecommendations, AffinityRecommendationsSkeleton } from '@/components/affinity/recommendations';

/**
 * The home page of an example shop: Affinity's recommendations for the visitor, streamed in
 * after the page. `AFFINITY_ENDPOINT` and `AFFINITY_STOREFRONT_KEY` come from the server's
 * environment; the component reads the consent-bound visitor cookie, so the page is dynamic.
 */
export default function Home() {
  return (
    <main>
      <h1>Example shop</h1>
      <Suspense fallback={<AffinityRecommendationsSkeleton heading="Picked for you" />}>
        <AffinityRecommendations placement="HOME" heading="Picked for you" first={4} />
      </Suspense>
    </main>
  );
}
