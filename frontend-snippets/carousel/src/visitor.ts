import { randomId } from '../../core/events';
import type { Consent } from '../../core/types';

export const VISITOR_KEY = 'affinity.visitorId';

/** Used when storage is unavailable (private mode, blocked): the id lives as long as the page. */
let pageVisitorId: string | null = null;

function storage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

/**
 * The anonymous visitor id, kept in first-party storage only while the visitor allows
 * analytics or personalization. Without consent any stored id is forgotten and null returned.
 */
export function visitorIdFor(consent: Consent, store: Storage | null = storage()): string | null {
  if (!consent.analytics && !consent.personalization) {
    pageVisitorId = null;
    try {
      store?.removeItem(VISITOR_KEY);
    } catch {
      // Storage may refuse writes; there is nothing left to forget then.
    }
    return null;
  }
  try {
    const stored = store?.getItem(VISITOR_KEY);
    if (stored) return stored;
    const id = randomId();
    store?.setItem(VISITOR_KEY, id);
    if (store) return id;
  } catch {
    // Fall through to the page-lived id.
  }
  pageVisitorId ??= randomId();
  return pageVisitorId;
}
