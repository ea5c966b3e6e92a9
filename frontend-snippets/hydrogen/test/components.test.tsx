import { act } from 'react';
import { MemoryRouter } from 'react-router';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { analyticsBus, AnalyticsEvent } from '../../test-support/fake-hydrogen';
import { captureBeacons, leavePage, mount } from '../../test-support/render';
import { ranking } from '../../test-support/ranking';
import { AffinityAnalytics, AffinityRecommendations } from '../index';

const inRouter = (node: React.ReactNode) => <MemoryRouter>{node}</MemoryRouter>;

beforeEach(() => {
  analyticsBus.reset();
  document.cookie = 'affinity_visitor=; Max-Age=0; Path=/';
  document.body.replaceChildren();
});
afterEach(() => leavePage());

describe('<AffinityRecommendations>', () => {
  it('shows a skeleton while the data streams in', async () => {
    const { container } = await mount(inRouter(<AffinityRecommendations recommendations={new Promise(() => {})} />));
    expect(container.querySelector('[aria-busy="true"]')).not.toBeNull();
    expect(container.querySelectorAll('.affinity-card--skeleton')).toHaveLength(4);
  });

  it.each([
    ['fails', () => {
      const failing = Promise.reject(new Error('down'));
      failing.catch(() => undefined); // The loader's promise is observed by <Await> only once rendered.
      return failing;
    }],
    ['finds nothing', () => Promise.resolve(null)],
  ])('renders nothing when Affinity %s', async (_case, data) => {
    const { container } = await mount(inRouter(<AffinityRecommendations recommendations={data()} />));
    expect(container.innerHTML).toBe('');
  });
});

describe('<AffinityAnalytics>', () => {
  async function shop(customerToken?: string) {
    const beacons = captureBeacons();
    const { container } = await mount(
      inRouter(
        <>
          <AffinityAnalytics customerToken={customerToken ?? null} />
          <AffinityRecommendations recommendations={Promise.resolve(ranking)} />
        </>,
      ),
    );
    return { beacons, container };
  }

  it('registers as a Hydrogen analytics subscriber', async () => {
    await shop();
    expect(analyticsBus.registered).toEqual(['Affinity']);
    expect(analyticsBus.ready).toBe(1);
  });

  it('forwards clicks, dismissals and Hydrogen events with consent', async () => {
    analyticsBus.consent = { analytics: true, preferences: true };
    const { beacons, container } = await shop();
    await act(async () => container.querySelector<HTMLAnchorElement>('a')?.click());
    await act(async () => container.querySelector<HTMLButtonElement>('.affinity-card__dismiss')?.click());
    analyticsBus.publish(AnalyticsEvent.PRODUCT_VIEWED, {
      products: [{ id: 'gid://shopify/Product/7', variantId: 'gid://shopify/ProductVariant/70', quantity: 1 }],
      url: '/',
    });
    analyticsBus.publish(AnalyticsEvent.PRODUCT_ADD_TO_CART, {
      currentLine: { id: 'l', quantity: 3, merchandise: { id: 'gid://shopify/ProductVariant/70', product: { id: 'gid://shopify/Product/7' } } },
      prevLine: { id: 'l', quantity: 1, merchandise: { id: 'gid://shopify/ProductVariant/70', product: { id: 'gid://shopify/Product/7' } } },
    });
    leavePage();
    const events = beacons.flatMap((beacon) => beacon.events);
    expect(beacons.every((beacon) => beacon.url === '/api/affinity/collect')).toBe(true);
    expect(events.map((event) => event.type)).toEqual(['PRODUCT_CLICKED', 'PRODUCT_DISMISSED', 'PRODUCT_VIEWED', 'PRODUCT_ADDED_TO_CART']);
    expect(events[0]).toMatchObject({ productId: '101', recommendationId: 'rec-42' });
    expect(events[2]).toMatchObject({ productId: '7', variantId: '70' });
    expect(events[3]).toMatchObject({ productId: '7', quantity: 2 });
    expect(document.cookie).toContain('affinity_visitor=');
    expect(container.textContent).not.toContain('Heart Holder');
  });

  it('sends nothing and stores nothing without consent', async () => {
    const { beacons, container } = await shop();
    await act(async () => container.querySelector<HTMLAnchorElement>('a')?.click());
    analyticsBus.publish(AnalyticsEvent.SEARCH_VIEWED, { searchTerm: 'lantern', url: '/search' });
    leavePage();
    expect(analyticsBus.published.map(([name]) => name)).toContain('custom_affinity_product_clicked');
    expect(beacons).toEqual([]);
    expect(document.cookie).not.toContain('affinity_visitor=');
  });

  it("names the logged-in customer by the root loader's token, never by id", async () => {
    analyticsBus.consent = { analytics: true, preferences: true };
    const { beacons, container } = await shop('v1.4102444800.MTIzNDc.c2ln');
    await act(async () => container.querySelector<HTMLAnchorElement>('a')?.click());
    analyticsBus.publish(AnalyticsEvent.SEARCH_VIEWED, { searchTerm: 'lantern', url: '/search' });
    leavePage();
    const events = beacons.flatMap((beacon) => beacon.events);
    expect(events.map((event) => event.type)).toEqual(['PRODUCT_CLICKED', 'SEARCH_SUBMITTED']);
    for (const event of events) {
      expect(event.customerToken).toBe('v1.4102444800.MTIzNDc.c2ln');
      expect(event).not.toHaveProperty('customerId');
    }
  });
});
