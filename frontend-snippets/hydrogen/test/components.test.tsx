import { AnalyticsEvent } from '@shopify/hydrogen';
import { act } from 'react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { captureBeacons, leavePage, mount } from '../../test-support/render';
import { ranking } from '../../test-support/ranking';
import { AffinityAnalytics, AffinityRecommendations } from '../index';
import { decide, loadPrivacyApi, offlineNetwork, publish, resetPrivacyApi, storefront } from './storefront';

let stop: () => void = () => undefined;

beforeEach(() => {
  resetPrivacyApi();
  offlineNetwork();
  document.cookie = 'affinity_visitor=; Max-Age=0; Path=/';
  document.body.replaceChildren();
});
afterEach(() => {
  leavePage();
  stop();
});

async function shop(customerToken?: string) {
  const beacons = captureBeacons();
  const page = await storefront(
    <AffinityRecommendations recommendations={Promise.resolve(ranking)} />,
    <AffinityAnalytics customerToken={customerToken ?? null} />,
  );
  stop = page.stop;
  const click = (selector: string) => act(async () => page.container.querySelector<HTMLElement>(selector)?.click());
  return { beacons, container: page.container, click, events: () => beacons.flatMap((beacon) => beacon.events) };
}

const viewed = {
  products: [{ id: 'gid://shopify/Product/7', variantId: 'gid://shopify/ProductVariant/70', quantity: 1, title: 'Lantern', price: '3.39', vendor: 'V', variantTitle: 'Default' }],
  url: '/products/lantern',
};

describe('<AffinityRecommendations>', () => {
  it('shows a skeleton while the data streams in', async () => {
    const page = await storefront(<AffinityRecommendations recommendations={new Promise(() => {})} />);
    stop = page.stop;
    expect(page.container.querySelector('[aria-busy="true"]')).not.toBeNull();
    expect(page.container.querySelectorAll('.affinity-card--skeleton')).toHaveLength(4);
  });

  it.each([
    ['fails', () => {
      const failing = Promise.reject(new Error('down'));
      failing.catch(() => undefined); // The loader's promise is observed by <Await> only once rendered.
      return failing;
    }],
    ['finds nothing', () => Promise.resolve(null)],
  ])('renders nothing when Affinity %s', async (_case, data) => {
    const page = await storefront(<AffinityRecommendations recommendations={data()} />);
    stop = page.stop;
    expect(page.container.querySelector('.affinity-recommendations')).toBeNull();
  });
});

describe("<AffinityAnalytics> under Hydrogen's <Analytics.Provider>", () => {
  it('forwards clicks, dismissals and Hydrogen events with consent', async () => {
    await loadPrivacyApi({ analytics: true, preferences: true });
    const { click, events, container } = await shop();
    await click('a');
    await click('.affinity-card__dismiss');
    publish(AnalyticsEvent.PRODUCT_VIEWED, viewed);
    publish(AnalyticsEvent.PRODUCT_ADD_TO_CART, {
      cart: null,
      prevCart: null,
      currentLine: { id: 'l', quantity: 3, merchandise: { id: 'gid://shopify/ProductVariant/70', product: { id: 'gid://shopify/Product/7' } } },
      prevLine: { id: 'l', quantity: 1, merchandise: { id: 'gid://shopify/ProductVariant/70', product: { id: 'gid://shopify/Product/7' } } },
    });
    leavePage();
    const sent = events();
    expect(sent.map((event) => event.type)).toEqual(['PRODUCT_CLICKED', 'PRODUCT_DISMISSED', 'PRODUCT_VIEWED', 'PRODUCT_ADDED_TO_CART']);
    expect(sent[0]).toMatchObject({ productId: '101', recommendationId: 'rec-42', consent: { analytics: true, personalization: true } });
    expect(sent[2]).toMatchObject({ productId: '7', variantId: '70' });
    expect(sent[3]).toMatchObject({ productId: '7', quantity: 2 });
    expect(document.cookie).toContain('affinity_visitor=');
    expect(container.textContent).not.toContain('Heart Holder');
  });

  it('stays silent while tracking is not allowed: no event, no cookie', async () => {
    await loadPrivacyApi({ analytics: false, preferences: false });
    const { click, beacons } = await shop();
    await click('a');
    publish(AnalyticsEvent.SEARCH_VIEWED, { searchTerm: 'lantern', url: '/search' });
    publish(AnalyticsEvent.PRODUCT_VIEWED, viewed);
    leavePage();
    expect(beacons).toEqual([]);
    expect(document.cookie).not.toContain('affinity_visitor=');
  });

  it('honours consent that arrives after mount, and its withdrawal', async () => {
    const { click, events } = await shop();
    await click('a');
    publish(AnalyticsEvent.PRODUCT_VIEWED, viewed);
    leavePage();
    expect(events()).toEqual([]);

    // The privacy API loads late, then the visitor accepts in the banner.
    await loadPrivacyApi({ analytics: false, preferences: false });
    expect(document.cookie).not.toContain('affinity_visitor=');
    await decide({ analytics: true, preferences: true });
    expect(document.cookie).toContain('affinity_visitor=');
    await click('a');
    publish(AnalyticsEvent.PRODUCT_VIEWED, viewed);
    leavePage();
    expect(events()).toMatchObject([
      { type: 'PRODUCT_CLICKED', productId: '101', consent: { analytics: true, personalization: true } },
      { type: 'PRODUCT_VIEWED', productId: '7' },
    ]);

    await decide({ analytics: false, preferences: false });
    expect(document.cookie).not.toContain('affinity_visitor=');
    publish(AnalyticsEvent.PRODUCT_VIEWED, viewed);
    leavePage();
    expect(events()).toHaveLength(2);
  });

  it("names the logged-in customer by the root loader's token, never by id", async () => {
    await loadPrivacyApi({ analytics: true, preferences: true });
    const { click, events } = await shop('v1.4102444800.MTIzNDc.c2ln');
    await click('a');
    publish(AnalyticsEvent.SEARCH_VIEWED, { searchTerm: 'lantern', url: '/search' });
    leavePage();
    const sent = events();
    expect(sent.map((event) => event.type)).toEqual(['PRODUCT_CLICKED', 'SEARCH_SUBMITTED']);
    for (const event of sent) {
      expect(event.customerToken).toBe('v1.4102444800.MTIzNDc.c2ln');
      expect(event).not.toHaveProperty('customerId');
    }
  });

  it('needs <Analytics.Provider>: outside it the components publish nowhere', async () => {
    const beacons = captureBeacons();
    await loadPrivacyApi({ analytics: true, preferences: true });
    const { createMemoryRouter, RouterProvider } = await import('react-router');
    const router = createMemoryRouter([{ path: '*', element: <AffinityRecommendations recommendations={Promise.resolve(ranking)} /> }]);
    const { container } = await mount(<RouterProvider router={router} />);
    await act(async () => container.querySelector<HTMLElement>('a')?.click());
    leavePage();
    expect(container.textContent).toContain('Heart Holder');
    expect(beacons).toEqual([]);
  });
});
