import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildEvent } from '../../core/events';
import { Collector } from '../../core/collector';
import { formatPrice, productHref } from '../../core/format';

const visitor = { visitorId: 'v', consent: { analytics: true, personalization: true } };
const event = () => buildEvent('RECOMMENDATIONS_VIEWED', { recommendationId: 'r' }, visitor);

describe('Collector', () => {
  afterEach(() => vi.useRealTimers());

  it('batches events sent close together', () => {
    vi.useFakeTimers();
    const send = vi.fn(() => true);
    const collector = new Collector('/collect?key=k', send);
    collector.push(event());
    collector.push(event());
    expect(send).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1000);
    expect(send).toHaveBeenCalledTimes(1);
    const [url, body] = send.mock.calls[0] as unknown as [string, string];
    expect(url).toBe('/collect?key=k');
    expect(JSON.parse(body).events).toHaveLength(2);
  });

  it('sends urgent events at once, with whatever was waiting', () => {
    const send = vi.fn(() => true);
    const collector = new Collector('/collect', send);
    collector.push(event());
    collector.push(event(), true);
    expect(send).toHaveBeenCalledTimes(1);
    expect(JSON.parse((send.mock.calls[0] as unknown as [string, string])[1]).events).toHaveLength(2);
  });

  it('never lets a raw customer id leave the browser', () => {
    const send = vi.fn(() => true);
    const collector = new Collector('/collect?key=k', send);
    collector.push({ ...event(), customerId: '12347', customerToken: 'v1.4102444800.MTIzNDc.sig' } as ReturnType<typeof event>, true);
    const [, body] = send.mock.calls[0] as unknown as [string, string];
    expect(body).not.toContain('customerId');
    expect(JSON.parse(body).events[0].customerToken).toBe('v1.4102444800.MTIzNDc.sig');
  });

  it('sends what is queued when the page is left', () => {
    const send = vi.fn(() => true);
    new Collector('/collect', send).push(event());
    window.dispatchEvent(new Event('pagehide'));
    expect(send).toHaveBeenCalledTimes(1);
  });
});

describe('format', () => {
  it("shows prices in the shop's currency", () => {
    expect(formatPrice(12.5, 'GBP', 'en-GB')).toBe('£12.50');
    expect(formatPrice(3, 'EUR', 'de-DE')).toMatch(/3,00\s€/);
    expect(formatPrice(3, null, 'en-US')).toBe('3.00');
    expect(formatPrice(3, 'NOPE', 'en-US')).toBe('3.00 NOPE');
  });

  it('links to the template, the url, or the Shopify handle', () => {
    const product = { id: '85123A', handle: 'heart-holder', title: 'Heart', available: true, url: '/p/85123A' };
    expect(productHref(product, '/demo/products/{id}')).toBe('/demo/products/85123A');
    expect(productHref(product, null)).toBe('/p/85123A');
    expect(productHref({ ...product, url: null }, null)).toBe('/products/heart-holder');
    expect(productHref({ ...product, url: null, handle: null }, null)).toBeNull();
  });
});
