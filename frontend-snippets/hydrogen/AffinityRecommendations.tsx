import { useAnalytics } from '@shopify/hydrogen';
import { Suspense, useEffect, useId, useRef, useState } from 'react';
import { Await, Link } from 'react-router';
import { rememberRecommendationClick } from '@affinity/core/attribution';
import { formatPrice } from '@affinity/core/format';
import type { Product, Recommendations } from '@affinity/core/types';
import { AffinityAddToCart } from './AffinityAddToCart';
import { AFFINITY_EVENTS } from './events';

export interface AffinityRecommendationsProps {
  /** The deferred ranking from `loadAffinityRecommendations`, not awaited in the loader. */
  recommendations: Promise<Recommendations | null> | Recommendations | null;
  heading?: string;
  /** Where a product links to; Hydrogen's `/products/<handle>` by default. */
  productPath?: (product: Product) => string;
  /**
   * The variant an "Add to cart" button on a card adds (a ProductVariant GID, e.g. the first
   * available variant the loader fetched); no button for products it returns nothing for.
   * The line carries the ranking's id (`_affinity_rec`), see `<AffinityAddToCart>`.
   */
  merchandiseIdFor?: (product: Product) => string | null | undefined;
  /** The cart route whose action handles `CartForm.ACTIONS.LinesAdd`. */
  cartRoute?: string;
}

type ListProps = Required<Pick<AffinityRecommendationsProps, 'heading' | 'productPath' | 'cartRoute'>> &
  Pick<AffinityRecommendationsProps, 'merchandiseIdFor'> & { ranking: Recommendations };

const defaultPath = (product: Product): string => `/products/${product.handle ?? product.id}`;

/**
 * Recommendations streamed in after the page: a fixed-size skeleton while they load, nothing
 * at all if they fail. Views, clicks and dismissals are published on Hydrogen's analytics bus
 * for `<AffinityAnalytics>` to forward.
 */
export function AffinityRecommendations({
  recommendations,
  heading = 'Recommended for you',
  productPath = defaultPath,
  merchandiseIdFor,
  cartRoute = '/cart',
}: AffinityRecommendationsProps) {
  return (
    <Suspense fallback={<AffinityRecommendationsSkeleton heading={heading} />}>
      {/* A fragment, not null: <Await> rethrows to the route's error boundary without an errorElement. */}
      <Await resolve={recommendations} errorElement={<></>}>
        {(ranking) =>
          ranking?.items.length ? (
            <RecommendationList ranking={ranking} heading={heading} productPath={productPath} merchandiseIdFor={merchandiseIdFor} cartRoute={cartRoute} />
          ) : null
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

function RecommendationList({ ranking, heading, productPath, merchandiseIdFor, cartRoute }: ListProps) {
  const { publish, canTrack } = useAnalytics();
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
              onClick={() => {
                publish(AFFINITY_EVENTS.PRODUCT_CLICKED, { productId: product.id, recommendationId });
                // Kept for the cart: the product page's add-to-cart names this ranking.
                rememberRecommendationClick(product.id, recommendationId, { analytics: canTrack(), personalization: false });
              }}
            >
              {product.imageUrl ? <img src={product.imageUrl} alt="" loading="lazy" width={300} height={300} /> : null}
              <span className="affinity-card__title">{product.title}</span>
              {typeof product.price === 'number' ? (
                <span className="affinity-card__price">{formatPrice(product.price, product.currency)}</span>
              ) : null}
            </Link>
            <CardAddToCart product={product} recommendationId={recommendationId} merchandiseIdFor={merchandiseIdFor} route={cartRoute} />
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

function CardAddToCart({
  product,
  recommendationId,
  merchandiseIdFor,
  route,
}: {
  product: Product;
  recommendationId: string;
  merchandiseIdFor: ((product: Product) => string | null | undefined) | undefined;
  route: string;
}) {
  const merchandiseId = product.available ? merchandiseIdFor?.(product) : null;
  if (!merchandiseId) return null;
  return (
    <AffinityAddToCart
      merchandiseId={merchandiseId}
      productId={product.id}
      recommendationId={recommendationId}
      route={route}
      className="affinity-card__add"
      aria-label={`Add ${product.title} to cart`}
    >
      Add to cart
    </AffinityAddToCart>
  );
}
