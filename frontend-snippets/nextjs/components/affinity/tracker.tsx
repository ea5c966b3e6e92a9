'use client';

import { useCallback, useEffect, useRef, useState, type MouseEvent, type ReactNode } from 'react';
import {
  cartAttributionFor,
  forgetRecommendationClicks,
  NO_ATTRIBUTION,
  rememberRecommendationClick,
  type CartAttribution,
} from '@affinity/core/attribution';
import { consentedVisitorId, trackEvent } from '@affinity/core/browser';
import type { EventFields } from '@affinity/core/events';
import type { Consent, EventType } from '@affinity/core/types';
import type { AffinityCartAddition } from '../../lib/affinity/cart';

const COLLECT_PATH = '/api/affinity/collect';

interface CustomerPrivacy {
  analyticsProcessingAllowed?: () => boolean;
  preferencesProcessingAllowed?: () => boolean;
}

/**
 * The visitor's consent: the `consent` prop when the shop manages it, else Shopify's Customer
 * Privacy API when loaded, else nothing allowed.
 */
function currentConsent(explicit?: Consent): Consent {
  if (explicit) return explicit;
  const privacy = (window as { Shopify?: { customerPrivacy?: CustomerPrivacy } }).Shopify?.customerPrivacy;
  return {
    analytics: privacy?.analyticsProcessingAllowed?.() === true,
    personalization: privacy?.preferencesProcessingAllowed?.() === true,
  };
}

interface Sender {
  consent?: Consent | undefined;
  customerToken?: string | null | undefined;
}

function send(sender: Sender, type: EventType, fields: EventFields, urgent = false): void {
  trackEvent(COLLECT_PATH, currentConsent(sender.consent), type, fields, { urgent, customerToken: sender.customerToken ?? null });
}

export interface AffinityTrackerProps {
  recommendationId: string;
  consent?: Consent;
  /** The logged-in customer's token, minted on the server (`affinityCustomerToken`). */
  customerToken?: string | null;
  /**
   * Called by the cards' "Add to cart" buttons (`data-affinity-add`), usually a server action:
   * the product, and the attributes its cart line and the cart carry.
   */
  addToCart?: ((addition: AffinityCartAddition) => unknown) | undefined;
  children: ReactNode;
}

/**
 * Wraps a server-rendered list of recommendations: reports when it is seen, which product is
 * clicked (`data-affinity-product-id` links) and "Not interested" (`data-affinity-dismiss`),
 * remembers clicks for the cart, and hands "Add to cart" (`data-affinity-add`) to `addToCart`.
 */
export function AffinityTracker({ recommendationId, consent, customerToken, addToCart, children }: AffinityTrackerProps) {
  const root = useRef<HTMLDivElement>(null);
  const sender = useRef<Sender>({ consent, customerToken });
  sender.current = { consent, customerToken };
  const adder = useRef(addToCart);
  adder.current = addToCart;

  useEffect(() => {
    const element = root.current;
    if (!element || typeof IntersectionObserver === 'undefined') return;
    const observer = new IntersectionObserver(
      (entries) => {
        if (!entries.some((entry) => entry.isIntersecting)) return;
        observer.disconnect();
        send(sender.current, 'RECOMMENDATIONS_VIEWED', { recommendationId });
      },
      { threshold: 0.5 },
    );
    observer.observe(element);
    return () => observer.disconnect();
  }, [recommendationId]);

  const onClick = (event: MouseEvent<HTMLDivElement>): void => {
    const target = event.target as Element;
    const dismiss = target.closest<HTMLElement>('[data-affinity-dismiss]');
    if (dismiss) {
      send(sender.current, 'PRODUCT_DISMISSED', { productId: dismiss.dataset.affinityDismiss, recommendationId });
      const card = dismiss.closest('li');
      if (card) card.hidden = true;
      return;
    }
    const add = target.closest<HTMLButtonElement>('[data-affinity-add]');
    if (add?.dataset.affinityAdd) {
      void addFromCard(add, add.dataset.affinityAdd);
      return;
    }
    const link = target.closest<HTMLElement>('[data-affinity-product-id]');
    const productId = link?.dataset.affinityProductId;
    if (!productId) return;
    send(sender.current, 'PRODUCT_CLICKED', { productId, recommendationId }, true);
    // Kept for the cart: the product page's add to cart names this ranking.
    rememberRecommendationClick(productId, recommendationId, currentConsent(sender.current.consent));
  };

  const addFromCard = async (button: HTMLButtonElement, productId: string): Promise<void> => {
    const callback = adder.current;
    if (!callback || button.disabled) return;
    const consentNow = currentConsent(sender.current.consent);
    rememberRecommendationClick(productId, recommendationId, consentNow);
    const attribution = cartAttributionFor(productId, consentNow, { recommendationId });
    button.disabled = true;
    try {
      await callback({ productId, handle: button.dataset.affinityHandle ?? null, quantity: 1, recommendationId, ...attribution });
      send(sender.current, 'PRODUCT_ADDED_TO_CART', { productId, quantity: 1, recommendationId });
    } catch (error) {
      console.error('Affinity: adding to the cart failed', error);
    } finally {
      button.disabled = false;
    }
  };

  return (
    <div ref={root} onClick={onClick}>
      {children}
    </div>
  );
}

export interface AffinityProductViewProps {
  productId: string;
  consent?: Consent;
  /** The logged-in customer's token, minted on the server (`affinityCustomerToken`). */
  customerToken?: string | null;
}

/** Reports a product page view; put it on the product page. Keeps the visitor cookie in step with consent. */
export function AffinityProductView({ productId, consent, customerToken }: AffinityProductViewProps) {
  const sender = useRef<Sender>({ consent, customerToken });
  sender.current = { consent, customerToken };
  useEffect(() => {
    const consentNow = currentConsent(sender.current.consent);
    consentedVisitorId(consentNow);
    if (!consentNow.analytics) forgetRecommendationClicks();
    send(sender.current, 'PRODUCT_VIEWED', { productId });
  }, [productId]);
  return null;
}

/**
 * For the shop's own add-to-cart (vercel/commerce's `AddToCart`): what adding `productId`
 * carries, from its remembered click within the click window: `lineAttributes`
 * (`[{ key: '_affinity_rec', value }]`) for the cart line and `cartAttributes`
 * (`_affinity_recs`, the clicked rankings) for the cart. Hand both to the cart server action,
 * which checks them with `affinityCartAttribution`. Empty on the server, until hydrated, and
 * without analytics consent; `refresh` reads them again (e.g. as the form is submitted).
 */
export function useAffinityCartAttribution(
  productId: string,
  consent?: Consent,
): CartAttribution & { refresh: () => CartAttribution } {
  const explicit = useRef(consent);
  explicit.current = consent;
  const [attribution, setAttribution] = useState<CartAttribution>(NO_ATTRIBUTION);
  const refresh = useCallback((): CartAttribution => {
    const current = cartAttributionFor(productId, currentConsent(explicit.current));
    setAttribution((previous) => (JSON.stringify(previous) === JSON.stringify(current) ? previous : current));
    return current;
  }, [productId]);
  useEffect(() => {
    refresh();
  }, [refresh]);
  return { ...attribution, refresh };
}
