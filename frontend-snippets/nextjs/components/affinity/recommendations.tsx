import Image from 'next/image';
import Link from 'next/link';
import { formatPrice } from '@affinity/core/format';
import { affinityProductId } from '@affinity/core/events';
import { affinityCustomerToken, getRecommendations, type RecommendationOptions } from '../../lib/affinity';
import type { AffinityCartAddition } from '../../lib/affinity/cart';
import { AffinityTracker } from './tracker';

export interface AffinityRecommendationsProps extends RecommendationOptions {
  heading?: string;
  /**
   * A server action adding a card's product to the cart. With it each available product gets
   * an "Add to cart" button, and the action receives the product with `lineAttributes`
   * (`_affinity_rec`: this ranking) and `cartAttributes` (`_affinity_recs`) to pass on.
   */
  addToCart?: (addition: AffinityCartAddition) => Promise<unknown>;
}

const TRACK = 'flex w-full gap-4 overflow-x-auto pt-1';
const ITEM = 'w-full flex-none min-[475px]:w-1/2 sm:w-1/3 md:w-1/4 lg:w-1/5';

/**
 * Recommendations for a product page, as an async server component. Wrap it in `<Suspense>`
 * with `<AffinityRecommendationsSkeleton>` so the page streams first; renders nothing when
 * Affinity has nothing to say or is unavailable. `customerId` (the logged-in customer) reaches
 * Affinity with the server key only; the browser's events get a customer token instead.
 *
 *   <Suspense fallback={<AffinityRecommendationsSkeleton />}>
 *     <AffinityRecommendations productId={product.id} customerId={customer?.id} />
 *   </Suspense>
 */
export async function AffinityRecommendations({ heading = 'Recommended for you', addToCart, ...options }: AffinityRecommendationsProps) {
  const ranking = await getRecommendations(options);
  if (!ranking?.items.length) return null;
  const customerToken = affinityCustomerToken(options.customerId);

  return (
    <div className="py-8">
      <h2 className="mb-4 text-2xl font-bold">{heading}</h2>
      <AffinityTracker recommendationId={ranking.recommendationId} customerToken={customerToken} addToCart={addToCart}>
        <ul className={TRACK}>
          {ranking.items.map(({ product, reasons }) => (
            <li key={product.id} className={ITEM}>
              <Link
                className="relative block aspect-square w-full"
                href={`/product/${product.handle ?? affinityProductId(product.id)}`}
                prefetch={true}
                data-affinity-product-id={product.id}
              >
                <div className="group relative flex h-full w-full items-center justify-center overflow-hidden rounded-lg border border-neutral-200 bg-white hover:border-blue-600 dark:border-neutral-800 dark:bg-black">
                  {product.imageUrl ? (
                    <Image
                      className="relative h-full w-full object-contain transition duration-300 ease-in-out group-hover:scale-105"
                      src={product.imageUrl}
                      alt={product.title}
                      fill
                      sizes="(min-width: 1024px) 20vw, (min-width: 768px) 25vw, (min-width: 640px) 33vw, (min-width: 475px) 50vw, 100vw"
                    />
                  ) : null}
                  <div className="absolute bottom-0 left-0 flex w-full px-4 pb-4">
                    <div className="flex items-center rounded-full border bg-white/70 p-1 text-xs font-semibold text-black backdrop-blur-md dark:border-neutral-800 dark:bg-black/70 dark:text-white">
                      <h3 className="mr-4 line-clamp-2 grow pl-2 leading-none tracking-tight">{product.title}</h3>
                      {typeof product.price === 'number' ? (
                        <p className="flex-none rounded-full bg-blue-600 p-2 text-white">{formatPrice(product.price, product.currency)}</p>
                      ) : null}
                    </div>
                  </div>
                </div>
              </Link>
              {addToCart && product.available ? (
                <button
                  type="button"
                  className="mt-2 w-full rounded-full bg-blue-600 p-2 text-sm font-medium text-white hover:opacity-90 disabled:opacity-60"
                  data-affinity-add={product.id}
                  data-affinity-handle={product.handle ?? undefined}
                  aria-label={`Add ${product.title} to cart`}
                >
                  Add to cart
                </button>
              ) : null}
              <div className="flex items-start justify-between gap-2 pt-2 text-xs text-neutral-500">
                <details>
                  <summary className="cursor-pointer">Why this?</summary>
                  <ul className="list-disc pl-4">
                    {(reasons.length ? reasons : [{ code: 'POPULAR', message: 'Popular in this shop' }]).map((reason) => (
                      <li key={reason.code + reason.message}>{reason.message}</li>
                    ))}
                  </ul>
                </details>
                <button type="button" className="underline" data-affinity-dismiss={product.id} aria-label={`Not interested in ${product.title}`}>
                  Not interested
                </button>
              </div>
            </li>
          ))}
        </ul>
      </AffinityTracker>
    </div>
  );
}

/** Same room as the loaded list, so streaming it in moves nothing. */
export function AffinityRecommendationsSkeleton({ heading = 'Recommended for you', count = 5 }: { heading?: string; count?: number }) {
  return (
    <div className="py-8" aria-busy="true">
      <h2 className="mb-4 text-2xl font-bold">{heading}</h2>
      <ul className={TRACK} aria-hidden="true">
        {Array.from({ length: count }, (_, index) => (
          <li key={index} className={ITEM}>
            <div className="aspect-square w-full animate-pulse rounded-lg bg-neutral-200 dark:bg-neutral-800" />
            <div className="h-6 pt-2" />
          </li>
        ))}
      </ul>
    </div>
  );
}
