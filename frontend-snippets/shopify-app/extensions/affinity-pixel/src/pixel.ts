/**
 * The pixel's wiring: Shopify's customer events in, `/collect` beacons out, only while the
 * visitor allows analytics. Consent is read from `init.customerPrivacy` and follows every
 * `visitorConsentCollected`: an event is sent only if consent was given when it happened.
 */
import type { Browser, ExtensionApi } from '@shopify/web-pixels-extension';
import { randomId } from '../../../../core/events';
import type { Consent } from '../../../../core/types';
import { affinityEvents, beaconBodies, collectUrlFor, consentFrom, FORWARDED_EVENTS, type ForwardedEvent } from './mapping';

/** The key the storefront carousel keeps its visitor id under: one visitor for both. */
export const VISITOR_KEY = 'affinity.visitorId';
const MAX_VISITOR_ID_LENGTH = 128;

/** The stored visitor id, made on first use; Shopify's client id when storage refuses. */
async function visitorId(browser: Browser, clientId: string): Promise<string> {
  try {
    const stored = await browser.localStorage.getItem(VISITOR_KEY);
    if (stored && stored.length <= MAX_VISITOR_ID_LENGTH) return stored;
    const made = randomId();
    await browser.localStorage.setItem(VISITOR_KEY, made);
    return made;
  } catch {
    return clientId;
  }
}

async function forgetVisitor(browser: Browser): Promise<void> {
  try {
    await browser.localStorage.removeItem(VISITOR_KEY);
  } catch {
    // Nothing stored that could be removed.
  }
}

export function startPixel(api: ExtensionApi): void {
  const url = collectUrlFor(api.settings ?? {}, api.init?.data?.shop);
  let consent: Consent = consentFrom(api.init?.customerPrivacy);

  api.customerPrivacy.subscribe('visitorConsentCollected', (event) => {
    consent = consentFrom(event.customerPrivacy);
    if (!consent.analytics && !consent.personalization) void forgetVisitor(api.browser);
  });
  if (!url) return;

  const forward = async (event: ForwardedEvent): Promise<void> => {
    const allowed = consent;
    if (!allowed.analytics) return;
    const events = affinityEvents(event, await visitorId(api.browser, event.clientId), allowed);
    for (const body of beaconBodies(events)) {
      try {
        await api.browser.sendBeacon(url, body);
      } catch {
        // A lost beacon loses those events only; the storefront goes on.
      }
    }
  };
  for (const name of FORWARDED_EVENTS) {
    api.analytics.subscribe(name, (event) => void forward(event as ForwardedEvent));
  }
}
