import { AnalyticsEvent } from '@shopify/hydrogen';
import { act, type ReactNode } from 'react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLICKS_STORAGE_KEY } from '@affinity/core/attribution';
import { ranking } from '../../test-support/ranking';
import { captureBeacons, leavePage } from '../../test-support/render';
import { updateAffinityCartAttributes } from '../affinity.server';
import { AFFINITY_CART_INPUT, AffinityAddToCart, AffinityAnalytics, AffinityRecommendations } from '../index';
import { cartPosts, loadPrivacyApi, offlineNetwork, publish, resetPrivacyApi, storefront } from './storefront';

const variantOf = (product: { id: string }) => `gid://shopify/ProductVariant/${product.id}0`;
let stops: (() => void)[] = [];

beforeEach(() => {
  resetPrivacyApi();
  offlineNetwork();
  cartPosts.length = 0;
  localStorage.clear();
  document.cookie = 'affinity_visitor=; Max-Age=0; Path=/';
  document.body.replaceChildren();
});
afterEach(() => {
  leavePage();
  for (const stop of stops.splice(0)) stop();
});

async function page(node: ReactNode, layout: ReactNode = null) {
  const shown = await storefront(node, layout);
  stops.push(shown.stop);
  return shown;
}

const recommendations = () => page(<AffinityRecommendations recommendations={Promise.resolve(ranking)} merchandiseIdFor={variantOf} />);

/** Press a CartForm's button and wait for React Router to run the cart route's action. */
async function press(button: HTMLButtonElement | null | undefined): Promise<void> {
  await act(async () => {
    button?.dispatchEvent(new PointerEvent('pointerdown', { bubbles: true }));
  });
  await act(async () => button?.click());
  await act(async () => new Promise((resolve) => setTimeout(resolve, 20)));
}

describe('adding to the cart from <AffinityRecommendations>', () => {
  it("posts LinesAdd with the ranking as the line's _affinity_rec, and the ids for the cart attribute", async () => {
    await loadPrivacyApi({ analytics: true, preferences: false });
    const { container } = await recommendations();
    const buttons = container.querySelectorAll<HTMLButtonElement>('.affinity-card__add');
    expect(buttons).toHaveLength(2);
    expect(buttons[0]?.getAttribute('aria-label')).toBe('Add Heart Holder to cart');

    await press(buttons[1]);
    expect(cartPosts).toEqual([
      {
        action: 'LinesAdd',
        inputs: {
          lines: [{ merchandiseId: 'gid://shopify/ProductVariant/1020', quantity: 1, attributes: [{ key: '_affinity_rec', value: 'rec-42' }] }],
          [AFFINITY_CART_INPUT]: 'rec-42',
        },
      },
    ]);
    expect(localStorage.getItem(CLICKS_STORAGE_KEY)).toContain('rec-42');
  });

  it('adds without attributes and remembers nothing without analytics consent', async () => {
    await loadPrivacyApi({ analytics: false, preferences: true });
    const { container } = await recommendations();
    await act(async () => container.querySelector<HTMLAnchorElement>('a')?.click());
    await press(container.querySelector<HTMLButtonElement>('.affinity-card__add'));
    expect(cartPosts).toEqual([
      { action: 'LinesAdd', inputs: { lines: [{ merchandiseId: 'gid://shopify/ProductVariant/1010', quantity: 1 }], [AFFINITY_CART_INPUT]: '' } },
    ]);
    expect(localStorage.getItem(CLICKS_STORAGE_KEY)).toBeNull();
  });

  it('shows no button for products without a variant to add', async () => {
    const { container } = await page(<AffinityRecommendations recommendations={Promise.resolve(ranking)} />);
    expect(container.querySelector('.affinity-card__add')).toBeNull();
  });
});

describe('<AffinityAddToCart> on the product page', () => {
  it('carries the click that led to the product', async () => {
    await loadPrivacyApi({ analytics: true, preferences: true });
    const list = await recommendations();
    await act(async () => list.container.querySelector<HTMLAnchorElement>('a[href="/products/lantern"]')?.click());

    const { container } = await page(
      <AffinityAddToCart merchandiseId="gid://shopify/ProductVariant/1021" productId="gid://shopify/Product/102" quantity={2}>
        Add to cart
      </AffinityAddToCart>,
    );
    await press(container.querySelector('button'));
    expect(cartPosts.at(-1)?.inputs).toEqual({
      lines: [{ merchandiseId: 'gid://shopify/ProductVariant/1021', quantity: 2, attributes: [{ key: '_affinity_rec', value: 'rec-42' }] }],
      [AFFINITY_CART_INPUT]: 'rec-42',
    });
  });

  it('adds a product nobody clicked without a line attribute', async () => {
    await loadPrivacyApi({ analytics: true, preferences: true });
    const { container } = await page(
      <AffinityAddToCart merchandiseId="gid://shopify/ProductVariant/90" productId="gid://shopify/Product/9">
        Add to cart
      </AffinityAddToCart>,
    );
    await press(container.querySelector('button'));
    expect(cartPosts.at(-1)?.inputs).toEqual({ lines: [{ merchandiseId: 'gid://shopify/ProductVariant/90', quantity: 1 }], [AFFINITY_CART_INPUT]: '' });
  });
});

describe('<AffinityAnalytics> and attributed lines', () => {
  it("reports an added line's ranking from its _affinity_rec attribute", async () => {
    await loadPrivacyApi({ analytics: true, preferences: true });
    const beacons = captureBeacons();
    await page(null, <AffinityAnalytics />);
    publish(AnalyticsEvent.PRODUCT_ADD_TO_CART, {
      currentLine: {
        id: 'l',
        quantity: 1,
        merchandise: { id: 'gid://shopify/ProductVariant/70', product: { id: 'gid://shopify/Product/7' } },
        attributes: [{ key: '_affinity_rec', value: 'rec-77' }],
      },
    });
    leavePage();
    expect(beacons.flatMap((beacon) => beacon.events)).toMatchObject([{ type: 'PRODUCT_ADDED_TO_CART', productId: '7', recommendationId: 'rec-77' }]);
  });
});

describe('updateAffinityCartAttributes', () => {
  function fakeCart(attributes: { key: string; value: string }[]) {
    const updates: { key: string; value: string }[][] = [];
    return {
      updates,
      get: async () => ({ attributes }),
      updateAttributes: async (next: { key: string; value: string }[]) => {
        updates.push(next);
        return { cart: { id: 'c1' } };
      },
    };
  }

  it("sets _affinity_recs and keeps the cart's other attributes", async () => {
    const cart = fakeCart([{ key: 'gift_note', value: 'hi' }, { key: '_affinity_recs', value: 'rec-1' }]);
    const result = await updateAffinityCartAttributes(cart, { lines: [], [AFFINITY_CART_INPUT]: 'rec-1,rec-2,bad id,rec-1' });
    expect(result).toEqual({ cart: { id: 'c1' } });
    expect(cart.updates).toEqual([
      [
        { key: 'gift_note', value: 'hi' },
        { key: '_affinity_recs', value: 'rec-2,rec-1' },
      ],
    ]);
  });

  it('does nothing when the form named no recommendation, or the cart has them already', async () => {
    const cart = fakeCart([{ key: '_affinity_recs', value: 'rec-1' }]);
    expect(await updateAffinityCartAttributes(cart, { lines: [] })).toBeNull();
    expect(await updateAffinityCartAttributes(cart, { [AFFINITY_CART_INPUT]: 'bad id' })).toBeNull();
    expect(await updateAffinityCartAttributes(cart, { [AFFINITY_CART_INPUT]: 'rec-1' })).toBeNull();
    expect(cart.updates).toEqual([]);
  });
});
