import { AnalyticsEvent, useAnalytics, type CartLineUpdatePayload } from '@shopify/hydrogen';
import { useEffect, useRef } from 'react';
import { clickedRecommendationFor, forgetRecommendationClicks, isRecommendationId, LINE_PROPERTY } from '@affinity/core/attribution';
import { consentedVisitorId, trackEvent } from '@affinity/core/browser';
import { affinityProductId, type EventFields } from '@affinity/core/events';
import type { Consent, EventType } from '@affinity/core/types';
import { currentConsent, onConsentChange } from './consent';
import { AFFINITY_EVENTS } from './events';

export interface AffinityAnalyticsProps {
  /** The same-origin route relaying events to Affinity (see `affinityCollectAction`). */
  collectPath?: string;
  /**
   * The logged-in customer's token from the root loader (`affinityCustomerToken`); events name
   * the customer only through it. Absent for guests.
   */
  customerToken?: string | null;
}

function lineFields(line: CartLineUpdatePayload['currentLine'], quantity: number): EventFields {
  return {
    productId: affinityProductId(line?.merchandise.product.id ?? ''),
    variantId: affinityProductId(line?.merchandise.id ?? ''),
    quantity,
  };
}

/** The ranking an added line came from: its `_affinity_rec` attribute, else the product's remembered click. */
function lineRecommendation(line: NonNullable<CartLineUpdatePayload['currentLine']>, consent: Consent): string | undefined {
  const attribute = line.attributes?.find((candidate) => candidate.key === LINE_PROPERTY)?.value;
  if (isRecommendationId(attribute)) return attribute;
  return clickedRecommendationFor(line.merchandise.product.id, consent) ?? undefined;
}

/**
 * A subscriber to Hydrogen's analytics events, placed inside `<Analytics.Provider>`. It forwards
 * product views, cart changes, searches and the recommendation events to Affinity, only while
 * the Customer Privacy API allows analytics; the visitor cookie follows the same consent.
 * Consent is read as each event is sent, and the cookie is brought in step whenever the privacy
 * API loads or the visitor decides, which is usually after this component has mounted.
 */
export function AffinityAnalytics({ collectPath = '/api/affinity/collect', customerToken = null }: AffinityAnalyticsProps) {
  const { subscribe, register, canTrack, customerPrivacy } = useAnalytics();
  const { ready } = register('Affinity');
  // Subscribers register once; consent sources and the token are followed through a ref.
  const latest = useRef({ canTrack, customerPrivacy, customerToken });
  latest.current = { canTrack, customerPrivacy, customerToken };

  useEffect(() => {
    const consent = (): Consent => currentConsent(latest.current);
    const send = (type: EventType, fields: EventFields, urgent = false): void => {
      trackEvent(collectPath, consent(), type, fields, { urgent, customerToken: latest.current.customerToken });
    };
    const syncVisitor = (current: Consent): void => {
      consentedVisitorId(current);
      // Remembered clicks for the cart follow the analytics consent every event needs.
      if (!current.analytics) forgetRecommendationClicks();
    };

    subscribe(AnalyticsEvent.PRODUCT_VIEWED, ({ products }) => {
      for (const product of products) {
        send('PRODUCT_VIEWED', { productId: affinityProductId(product.id), variantId: affinityProductId(product.variantId) });
      }
    });
    subscribe(AnalyticsEvent.PRODUCT_ADD_TO_CART, ({ currentLine, prevLine }) => {
      if (!currentLine) return;
      const recommendationId = lineRecommendation(currentLine, consent());
      send('PRODUCT_ADDED_TO_CART', { ...lineFields(currentLine, currentLine.quantity - (prevLine?.quantity ?? 0)), recommendationId });
    });
    subscribe(AnalyticsEvent.PRODUCT_REMOVED_FROM_CART, ({ currentLine, prevLine }) => {
      if (prevLine) send('PRODUCT_REMOVED_FROM_CART', lineFields(prevLine, prevLine.quantity - (currentLine?.quantity ?? 0)));
    });
    subscribe(AnalyticsEvent.SEARCH_VIEWED, ({ searchTerm }) => {
      if (searchTerm) send('SEARCH_SUBMITTED', { query: searchTerm });
    });
    subscribe(AFFINITY_EVENTS.RECOMMENDATIONS_VIEWED, ({ recommendationId }) => {
      send('RECOMMENDATIONS_VIEWED', { recommendationId: String(recommendationId) });
    });
    subscribe(AFFINITY_EVENTS.PRODUCT_CLICKED, ({ productId, recommendationId }) => {
      // At once: a navigation follows.
      send('PRODUCT_CLICKED', { productId: String(productId), recommendationId: String(recommendationId) }, true);
    });
    subscribe(AFFINITY_EVENTS.PRODUCT_DISMISSED, ({ productId, recommendationId }) => {
      send('PRODUCT_DISMISSED', { productId: String(productId), recommendationId: String(recommendationId) });
    });

    syncVisitor(consent());
    const stop = onConsentChange(consent, syncVisitor);
    ready();
    return stop;
    // Hydrogen subscribers register once.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  return null;
}
