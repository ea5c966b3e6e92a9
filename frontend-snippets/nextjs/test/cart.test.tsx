import { act } from 'react';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { CLICKS_STORAGE_KEY } from '@affinity/core/attribution';
import { captureBeacons, leavePage, mount } from '../../test-support/render';
import { AffinityTracker, useAffinityCartAttribution } from '../components/affinity/tracker';
import type { AffinityCartAddition } from '../lib/affinity/cart';

const granted = { analytics: true, personalization: true };
const denied = { analytics: false, personalization: false };

beforeEach(() => {
  localStorage.clear();
  document.cookie = 'affinity_visitor=; Max-Age=0; Path=/';
  document.body.replaceChildren();
  vi.stubGlobal(
    'IntersectionObserver',
    class {
      observe(): void {}
      disconnect(): void {}
    },
  );
});

function list(consent: typeof granted, addToCart?: (addition: AffinityCartAddition) => unknown) {
  return mount(
    <AffinityTracker recommendationId="rec-7" consent={consent} addToCart={addToCart}>
      <ul>
        <li>
          <a href="#p1" data-affinity-product-id="p1">P1</a>
          <button type="button" data-affinity-add="p1" data-affinity-handle="heart-holder">Add to cart</button>
        </li>
        <li>
          <a href="#p2" data-affinity-product-id="p2">P2</a>
        </li>
      </ul>
    </AffinityTracker>,
  );
}

/** What the shop's add-to-cart on a product page would hand its server action. */
function ProductPageAttribution({ productId, consent }: { productId: string; consent: typeof granted }) {
  const { lineAttributes, cartAttributes } = useAffinityCartAttribution(productId, consent);
  return <output>{JSON.stringify({ lineAttributes, cartAttributes })}</output>;
}

describe('Next.js add to cart', () => {
  it("hands the card's add to the callback with the line and cart attributes", async () => {
    const beacons = captureBeacons();
    const added: AffinityCartAddition[] = [];
    const { container } = await list(granted, async (addition) => void added.push(addition));
    await act(async () => container.querySelector<HTMLAnchorElement>('a[href="#p2"]')?.click());
    await act(async () => container.querySelector<HTMLButtonElement>('[data-affinity-add]')?.click());
    expect(added).toEqual([
      {
        productId: 'p1',
        handle: 'heart-holder',
        quantity: 1,
        recommendationId: 'rec-7',
        lineAttributes: [{ key: '_affinity_rec', value: 'rec-7' }],
        cartAttributes: [{ key: '_affinity_recs', value: 'rec-7' }],
      },
    ]);
    leavePage();
    expect(beacons.flatMap((beacon) => beacon.events).map((event) => [event.type, event.productId, event.recommendationId])).toEqual([
      ['PRODUCT_CLICKED', 'p2', 'rec-7'],
      ['PRODUCT_ADDED_TO_CART', 'p1', 'rec-7'],
    ]);
  });

  it('gives the product page the click that led to it', async () => {
    const { container: listed } = await list(granted);
    await act(async () => listed.querySelector<HTMLAnchorElement>('a[href="#p2"]')?.click());
    const { container } = await mount(<ProductPageAttribution productId="p2" consent={granted} />);
    expect(JSON.parse(container.querySelector('output')?.textContent ?? '{}')).toEqual({
      lineAttributes: [{ key: '_affinity_rec', value: 'rec-7' }],
      cartAttributes: [{ key: '_affinity_recs', value: 'rec-7' }],
    });
  });

  it('without consent passes no attributes and remembers nothing', async () => {
    const added: AffinityCartAddition[] = [];
    const { container } = await list(denied, async (addition) => void added.push(addition));
    await act(async () => container.querySelector<HTMLAnchorElement>('a[href="#p2"]')?.click());
    await act(async () => container.querySelector<HTMLButtonElement>('[data-affinity-add]')?.click());
    expect(added).toMatchObject([{ productId: 'p1', lineAttributes: [], cartAttributes: [] }]);
    expect(localStorage.getItem(CLICKS_STORAGE_KEY)).toBeNull();
    const { container: page } = await mount(<ProductPageAttribution productId="p2" consent={denied} />);
    expect(JSON.parse(page.querySelector('output')?.textContent ?? '{}')).toEqual({ lineAttributes: [], cartAttributes: [] });
  });
});
