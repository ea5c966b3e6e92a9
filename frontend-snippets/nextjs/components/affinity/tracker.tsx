'use client';

import { useEffect, useRef, type MouseEvent, type ReactNode } from 'react';
import { consentedVisitorId, trackEvent } from '../../../core/browser';
import type { EventFields } from '../../../core/events';
import type { Consent, EventType } from '../../../core/types';

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

function send(consent: Consent | undefined, type: EventType, fields: EventFields, urgent = false): void {
  trackEvent(COLLECT_PATH, currentConsent(consent), type, fields, urgent);
}

export interface AffinityTrackerProps {
  recommendationId: string;
  consent?: Consent;
  children: ReactNode;
}

/**
 * Wraps a server-rendered list of recommendations: reports when it is seen, which product is
 * clicked (`data-affinity-product-id` links) and "Not interested" (`data-affinity-dismiss`).
 */
export function AffinityTracker({ recommendationId, consent, children }: AffinityTrackerProps) {
  const root = useRef<HTMLDivElement>(null);
  const consentRef = useRef(consent);
  consentRef.current = consent;

  useEffect(() => {
    const element = root.current;
    if (!element || typeof IntersectionObserver === 'undefined') return;
    const observer = new IntersectionObserver(
      (entries) => {
        if (!entries.some((entry) => entry.isIntersecting)) return;
        observer.disconnect();
        send(consentRef.current, 'RECOMMENDATIONS_VIEWED', { recommendationId });
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
      send(consent, 'PRODUCT_DISMISSED', { productId: dismiss.dataset.affinityDismiss, recommendationId });
      const card = dismiss.closest('li');
      if (card) card.hidden = true;
      return;
    }
    const link = target.closest<HTMLElement>('[data-affinity-product-id]');
    if (link) send(consent, 'PRODUCT_CLICKED', { productId: link.dataset.affinityProductId, recommendationId }, true);
  };

  return (
    <div ref={root} onClick={onClick}>
      {children}
    </div>
  );
}

/** Reports a product page view; put it on the product page. Keeps the visitor cookie in step with consent. */
export function AffinityProductView({ productId, consent }: { productId: string; consent?: Consent }) {
  const consentRef = useRef(consent);
  consentRef.current = consent;
  useEffect(() => {
    consentedVisitorId(currentConsent(consentRef.current));
    send(consentRef.current, 'PRODUCT_VIEWED', { productId });
  }, [productId]);
  return null;
}
