import { CartForm, useAnalytics, type OptimisticCartLineInput } from '@shopify/hydrogen';
import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import {
  CART_ATTRIBUTE,
  cartAttributionFor,
  NO_ATTRIBUTION,
  rememberRecommendationClick,
  type CartAttribution,
} from '@affinity/core/attribution';
import type { Consent } from '@affinity/core/types';
import { currentConsent, onConsentChange } from './consent';
import { AFFINITY_CART_INPUT } from './events';

/** Consent as Hydrogen's analytics reads it, at the moment of asking; the attribution needs analytics. */
function useConsent(): () => Consent {
  const { canTrack, customerPrivacy } = useAnalytics();
  return useCallback(() => currentConsent({ canTrack, customerPrivacy }), [canTrack, customerPrivacy]);
}

/**
 * What adding `productId` to the cart carries: `lineAttributes` (`_affinity_rec`) for the cart
 * line and `cartAttributes` (`_affinity_recs`). From the product's remembered click, or from
 * `recommendationId` when the add comes from a recommendation. Empty on the server and until
 * the page is hydrated (storage and consent are the browser's), and without analytics
 * consent. `refresh` reads them again, e.g. just before a submit.
 */
export function useAffinityCartAttribution(
  productId: string,
  recommendationId?: string | null,
): CartAttribution & { refresh: () => CartAttribution } {
  const consent = useConsent();
  const [attribution, setAttribution] = useState<CartAttribution>(NO_ATTRIBUTION);
  const refresh = useCallback((): CartAttribution => {
    const current = cartAttributionFor(productId, consent(), { recommendationId: recommendationId ?? null });
    setAttribution((previous) => (JSON.stringify(previous) === JSON.stringify(current) ? previous : current));
    return current;
  }, [productId, recommendationId, consent]);

  useEffect(() => {
    refresh();
    // The privacy API loads, or the visitor decides, after the page has hydrated.
    return onConsentChange(consent, refresh);
  }, [refresh]);

  return { ...attribution, refresh };
}

export interface AffinityAddToCartProps {
  /** The variant to add (a ProductVariant GID). */
  merchandiseId: string;
  /** Its product (GID or id): whose remembered click the line carries. */
  productId: string;
  quantity?: number;
  /** The ranking the button sits in, when it is on a recommendation. */
  recommendationId?: string | null;
  /** The cart route whose action handles `CartForm.ACTIONS.LinesAdd`. */
  route?: string;
  disabled?: boolean;
  className?: string;
  /** An accessible name when `children` alone does not say which product is added. */
  'aria-label'?: string;
  children: ReactNode;
}

/**
 * A `CartForm` adding one line, as Hydrogen's own add-to-cart button does, that also names the
 * clicked recommendations: the line carries `attributes: [{ key: '_affinity_rec', value }]`
 * and the form the ids for the cart attribute `_affinity_recs`. Use it on product pages (the
 * product's remembered click) and it is what `<AffinityRecommendations merchandiseIdFor>`
 * renders on each card (that card's ranking).
 */
export function AffinityAddToCart({
  merchandiseId,
  productId,
  quantity = 1,
  recommendationId = null,
  route = '/cart',
  disabled = false,
  className,
  'aria-label': ariaLabel,
  children,
}: AffinityAddToCartProps) {
  const consent = useConsent();
  const attribution = useAffinityCartAttribution(productId, recommendationId);
  const recommendationIds = useRef<HTMLInputElement>(null);
  const line: OptimisticCartLineInput = { merchandiseId, quantity };
  if (attribution.lineAttributes.length) line.attributes = attribution.lineAttributes;
  const cartIds = attribution.cartAttributes.find((attribute) => attribute.key === CART_ATTRIBUTE)?.value ?? '';

  const onClick = (): void => {
    if (recommendationId) rememberRecommendationClick(productId, recommendationId, consent());
    // The form posts after this handler: the field holds the ids as they are now.
    const current = cartAttributionFor(productId, consent(), { recommendationId });
    const field = recommendationIds.current;
    if (field) field.value = current.cartAttributes.find((attribute) => attribute.key === CART_ATTRIBUTE)?.value ?? '';
  };

  return (
    <CartForm route={route} action={CartForm.ACTIONS.LinesAdd} inputs={{ lines: [line] }}>
      <input ref={recommendationIds} type="hidden" name={AFFINITY_CART_INPUT} defaultValue={cartIds} />
      <button
        type="submit"
        className={className}
        disabled={disabled}
        aria-label={ariaLabel}
        onPointerDown={attribution.refresh}
        onFocus={attribution.refresh}
        onClick={onClick}
      >
        {children}
      </button>
    </CartForm>
  );
}
