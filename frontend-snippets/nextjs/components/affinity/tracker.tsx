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
  children: ReactNode;
}

/**
 * Wraps a server-rendered list of recommendations: reports when it is seen, which product is
 * clicked (`data-affinity-product-id` links) and "Not interested" (`data-affinity-dismiss`).
 */
export function AffinityTracker({ recommendationId, consent, customerToken, children }: AffinityTrackerProps) {
  const root = useRef<HTMLDivElement>(null);
  const sender = useRef<Sender>({ consent, customerToken });
  sender.current = { consent, customerToken };

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
    const link = target.closest<HTMLElement>('[data-affinity-product-id]');
    if (link) send(sender.current, 'PRODUCT_CLICKED', { productId: link.dataset.affinityProductId, recommendationId }, true);
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
    consentedVisitorId(currentConsent(sender.current.consent));
    send(sender.current, 'PRODUCT_VIEWED', { productId });
  }, [productId]);
  return null;
}
