import { useAnalytics } from '@shopify/hydrogen';
import { Suspense, useEffect, useId, useRef, useState } from 'react';
import { Await, Link } from 'react-router';
import { formatPrice } from '../core/format';
import type { Product, Recommendations } from '../core/types';
import { AFFINITY_EVENTS } from './events';

export interface AffinityRecommendationsProps {
  /** The deferred ranking from `loadAffinityRecommendations`, not awaited in the loader. */
  recommendations: Promise<Recommendations | null> | Recommendations | null;
  heading?: string;
  /** Where a product links to; Hydrogen's `/products/<handle>` by default. */
  productPath?: (product: Product) => string;
}

const defaultPath = (product: Product): string => `/products/${product.handle ?? product.id}`;

/**
 * Recommendations streamed in after the page: a fixed-size skeleton while they load, nothing
 * at all if they fail. Views, clicks and dismissals are published on Hydrogen's analytics bus
 * for `<AffinityAnalytics>` to forward.
 */
export function AffinityRecommendations({ recommendations, heading = 'Recommended for you', productPath = defaultPath }: AffinityRecommendationsProps) {
  return (
    <Suspense fallback={<AffinityRecommendationsSkeleton heading={heading} />}>
      {/* A fragment, not null: <Await> rethrows to the route's error boundary without an errorElement. */}
      <Await resolve={recommendations} errorElement={<></>}>
        {(ranking) =>
          ranking?.items.length ? <RecommendationList ranking={ranking} heading={heading} productPath={productPath} /> : null
        }
      </Await>
    </Suspense>
  );
}

export function AffinityRecommendationsSkeleton({ heading, count = 4 }: { heading: string; count?: number }) {
  return (
    <section className="affinity-recommendations" aria-busy="true" aria-label={heading}>
      <h2 className="affinity-recommendations__heading">{heading}</h2>
      <ul className="affinity-recommendations__track" aria-hidden="true">
        {Array.from({ length: count }, (_, index) => (
          <li key={index} className="affinity-card affinity-card--skeleton" />
        ))}
      </ul>
    </section>
  );
}

function RecommendationList({ ranking, heading, productPath }: { ranking: Recommendations; heading: string; productPath: (product: Product) => string }) {
  const { publish } = useAnalytics();
  const [dismissed, setDismissed] = useState<ReadonlySet<string>>(new Set());
  const section = useRef<HTMLElement>(null);
  const headingId = useId();
  const { recommendationId } = ranking;

  useEffect(() => {
    const element = section.current;
    if (!element || typeof IntersectionObserver === 'undefined') return;
    const observer = new IntersectionObserver(
      (entries) => {
        if (!entries.some((entry) => entry.isIntersecting)) return;
        observer.disconnect();
        publish(AFFINITY_EVENTS.RECOMMENDATIONS_VIEWED, { recommendationId });
      },
      { threshold: 0.5 },
    );
    observer.observe(element);
    return () => observer.disconnect();
  }, [recommendationId, publish]);

  const items = ranking.items.filter((item) => !dismissed.has(item.product.id));
  if (!items.length) return null;
  return (
    <section ref={section} className="affinity-recommendations" aria-labelledby={headingId}>
      <h2 id={headingId} className="affinity-recommendations__heading">
        {heading}
      </h2>
      <ul className="affinity-recommendations__track">
        {items.map(({ product, reasons }) => (
          <li key={product.id} className="affinity-card">
            <Link
              to={productPath(product)}
              prefetch="intent"
              className="affinity-card__link"
              onClick={() => publish(AFFINITY_EVENTS.PRODUCT_CLICKED, { productId: product.id, recommendationId })}
            >
              {product.imageUrl ? <img src={product.imageUrl} alt="" loading="lazy" width={300} height={300} /> : null}
              <span className="affinity-card__title">{product.title}</span>
              {typeof product.price === 'number' ? (
                <span className="affinity-card__price">{formatPrice(product.price, product.currency)}</span>
              ) : null}
            </Link>
            <details className="affinity-card__why">
              <summary>Why this?</summary>
              <ul>
                {(reasons.length ? reasons : [{ code: 'POPULAR', message: 'Popular in this shop' }]).map((reason) => (
                  <li key={reason.code + reason.message}>{reason.message}</li>
                ))}
              </ul>
            </details>
            <button
              type="button"
              className="affinity-card__dismiss"
              aria-label={`Not interested in ${product.title}`}
              onClick={() => {
                publish(AFFINITY_EVENTS.PRODUCT_DISMISSED, { productId: product.id, recommendationId });
                setDismissed((current) => new Set(current).add(product.id));
              }}
            >
              Not interested
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
