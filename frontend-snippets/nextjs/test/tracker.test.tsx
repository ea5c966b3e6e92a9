import { act } from 'react';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { captureBeacons, leavePage, mount } from '../../test-support/render';
import { AffinityProductView, AffinityTracker } from '../components/affinity/tracker';

let visible: (() => void)[] = [];
const granted = { analytics: true, personalization: true };

beforeEach(() => {
  visible = [];
  document.cookie = 'affinity_visitor=; Max-Age=0; Path=/';
  vi.stubGlobal(
    'IntersectionObserver',
    class {
      constructor(callback: (entries: { isIntersecting: boolean }[]) => void) {
        visible.push(() => callback([{ isIntersecting: true }]));
      }
      observe(): void {}
      disconnect(): void {}
    },
  );
});

function list(consent?: typeof granted) {
  return mount(
    <AffinityTracker recommendationId="rec-7" {...(consent ? { consent } : {})}>
      <ul>
        <li>
          <a href="#p1" data-affinity-product-id="p1">P1</a>
          <button type="button" data-affinity-dismiss="p1">Not interested</button>
        </li>
      </ul>
    </AffinityTracker>,
  );
}

describe('<AffinityTracker>', () => {
  it('reports the view, the click and the dismissal with the ranking id', async () => {
    const beacons = captureBeacons();
    const { container } = await list(granted);
    visible.forEach((show) => show());
    await act(async () => container.querySelector('a')?.click());
    await act(async () => container.querySelector('button')?.click());
    leavePage();
    const events = beacons.flatMap((beacon) => beacon.events);
    expect(beacons[0]?.url).toBe('/api/affinity/collect');
    expect(events.map((event) => [event.type, event.productId, event.recommendationId])).toEqual([
      ['RECOMMENDATIONS_VIEWED', undefined, 'rec-7'],
      ['PRODUCT_CLICKED', 'p1', 'rec-7'],
      ['PRODUCT_DISMISSED', 'p1', 'rec-7'],
    ]);
    expect(container.querySelector('li')?.hidden).toBe(true);
  });

  it("follows Shopify's Customer Privacy API, and sends nothing without consent", async () => {
    const beacons = captureBeacons();
    const { container } = await list();
    visible.forEach((show) => show());
    await act(async () => container.querySelector('a')?.click());
    leavePage();
    expect(beacons).toEqual([]);
    expect(document.cookie).not.toContain('affinity_visitor');
  });

  it('reports product views', async () => {
    const beacons = captureBeacons();
    await mount(<AffinityProductView productId="gid-9" consent={granted} />);
    leavePage();
    expect(beacons.flatMap((beacon) => beacon.events)).toMatchObject([{ type: 'PRODUCT_VIEWED', productId: 'gid-9' }]);
    expect(document.cookie).toContain('affinity_visitor=');
  });

  it('names the customer by the token from the server, never by id', async () => {
    const beacons = captureBeacons();
    const token = 'v1.4102444800.MTIzNDc.c2ln';
    await mount(<AffinityProductView productId="gid-9" consent={granted} customerToken={token} />);
    const { container } = await mount(
      <AffinityTracker recommendationId="rec-8" consent={granted} customerToken={token}>
        <a href="#p2" data-affinity-product-id="p2">P2</a>
      </AffinityTracker>,
    );
    await act(async () => container.querySelector('a')?.click());
    leavePage();
    const events = beacons.flatMap((beacon) => beacon.events);
    expect(events.map((event) => event.type)).toEqual(['PRODUCT_VIEWED', 'PRODUCT_CLICKED']);
    for (const event of events) {
      expect(event.customerToken).toBe(token);
      expect(event).not.toHaveProperty('customerId');
    }
  });
});
