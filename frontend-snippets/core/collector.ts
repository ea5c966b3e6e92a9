/** Batching of storefront events to `/collect`, by beacon, shared by every carousel on a page. */
import type { EventInput } from './types';

const MAX_BATCH = 25;
const FLUSH_DELAY_MS = 1000;

type Send = (url: string, body: string) => boolean;

/**
 * A JSON replacer: the last check before the network that no event names a customer by a
 * raw id (only a customer token may, see `buildEvent`).
 */
function withoutRawCustomerId(key: string, value: unknown): unknown {
  return key === 'customerId' ? undefined : value;
}

function beacon(url: string, body: string): boolean {
  // A string body goes out as text/plain, which needs no CORS preflight.
  if (typeof navigator !== 'undefined' && typeof navigator.sendBeacon === 'function') {
    try {
      if (navigator.sendBeacon(url, body)) return true;
    } catch {
      // Fall back to fetch below.
    }
  }
  fetch(url, { method: 'POST', body, keepalive: true, credentials: 'omit', mode: 'no-cors' }).catch(
    () => undefined,
  );
  return true;
}

/**
 * Queues events and sends them in batches to `/collect`: after a short pause, when the
 * page is hidden or left, or at once for events followed by a navigation (clicks).
 */
export class Collector {
  #queue: EventInput[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly url: string,
    private readonly send: Send = beacon,
  ) {
    if (typeof window !== 'undefined') {
      window.addEventListener('pagehide', () => this.flush());
      document.addEventListener('visibilitychange', () => {
        if (document.visibilityState === 'hidden') this.flush();
      });
    }
  }

  push(event: EventInput, urgent = false): void {
    this.#queue.push(event);
    if (urgent || this.#queue.length >= MAX_BATCH) this.flush();
    else this.#timer ??= setTimeout(() => this.flush(), FLUSH_DELAY_MS);
  }

  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    while (this.#queue.length) {
      const events = this.#queue.splice(0, MAX_BATCH);
      this.send(this.url, JSON.stringify({ events }, withoutRawCustomerId));
    }
  }
}

const collectors = new Map<string, Collector>();

/** One collector per `/collect` URL, shared by every carousel on the page. */
export function collectorFor(url: string): Collector {
  let collector = collectors.get(url);
  if (!collector) {
    collector = new Collector(url);
    collectors.set(url, collector);
  }
  return collector;
}
