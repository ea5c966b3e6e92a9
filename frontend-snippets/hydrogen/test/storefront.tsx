/**
 * A Hydrogen storefront for component tests: the real `<Analytics.Provider>` and `CartForm` in
 * a React Router data router, with a cart route whose action records what `CartForm` posted.
 *
 * Two things cannot run in a unit test and are stood in for here: Shopify's CDN scripts (the
 * Customer Privacy API and Perf Kit, which `<Analytics.Provider>` loads with script tags that
 * jsdom does not fetch), and the network (Shopify's own analytics, sent with `fetch`).
 */
import { Analytics, CartForm, useAnalytics } from '@shopify/hydrogen';
import { act, useEffect, type ReactNode } from 'react';
import { createMemoryRouter, Outlet, RouterProvider } from 'react-router';
import { vi } from 'vitest';
import { mount } from '../../test-support/render';

export interface Decision {
  analytics: boolean;
  preferences: boolean;
}

/** What the visitor decided, as the stand-in Customer Privacy API reports it. */
const decision: Decision = { analytics: false, preferences: false };

const yesNo = (allowed: boolean): 'yes' | 'no' => (allowed ? 'yes' : 'no');

/**
 * Shopify's Customer Privacy API arriving on the page, as its script would install it, with
 * the visitor's earlier decision; Hydrogen is told through the document event the API fires.
 */
export async function loadPrivacyApi(initial: Decision): Promise<void> {
  Object.assign(decision, initial);
  const shopify = ((window as { Shopify?: Record<string, unknown> }).Shopify ??= {});
  const privacy = (shopify.customerPrivacy ??= {}) as Record<string, unknown>;
  Object.assign(privacy, {
    consentStatus: 'loaded',
    analyticsProcessingAllowed: () => decision.analytics,
    preferencesProcessingAllowed: () => decision.preferences,
    marketingAllowed: () => false,
    saleOfDataAllowed: () => false,
    shouldShowBanner: () => false,
    currentVisitorConsent: () => ({ analytics: yesNo(decision.analytics), preferences: yesNo(decision.preferences), marketing: 'no', sale_of_data: 'no' }),
    setTrackingConsent: (_consent: unknown, callback: (data: undefined) => void) => callback(undefined),
  });
  await act(async () => document.dispatchEvent(new Event('consentTrackingApiLoaded')));
  await settle();
}

/** The visitor decides (a banner, a preference centre): the API fires `visitorConsentCollected`. */
export async function decide(next: Decision): Promise<void> {
  Object.assign(decision, next);
  const detail = {
    analyticsAllowed: next.analytics,
    preferencesAllowed: next.preferences,
    marketingAllowed: false,
    firstPartyMarketingAllowed: false,
    thirdPartyMarketingAllowed: false,
    saleOfDataAllowed: false,
  };
  await act(async () => document.dispatchEvent(new CustomEvent('visitorConsentCollected', { detail })));
  await settle();
}

/** Perf Kit's script "loads" at once, so Hydrogen's analytics do not wait for it forever. */
function loadPerfKitWhenAsked(): MutationObserver {
  const observer = new MutationObserver(() => {
    for (const script of document.querySelectorAll<HTMLScriptElement>('script#perfkit:not([data-loaded])')) {
      script.dataset.loaded = 'true';
      (window as { PerfKit?: unknown }).PerfKit = { navigate: () => undefined, setPageType: () => undefined };
      script.dispatchEvent(new Event('load'));
    }
  });
  observer.observe(document.documentElement, { childList: true, subtree: true });
  return observer;
}

/** Forget the page's Shopify globals and the visitor's decision. */
export function resetPrivacyApi(): void {
  delete (window as { Shopify?: unknown }).Shopify;
  Object.assign(decision, { analytics: false, preferences: false });
}

async function settle(): Promise<void> {
  await act(async () => new Promise((resolve) => setTimeout(resolve, 10)));
}

/** Requests that left for somewhere other than Affinity (Shopify's own analytics), answered 204 here. */
export function offlineNetwork(): string[] {
  const requests: string[] = [];
  vi.stubGlobal('fetch', async (input: RequestInfo | URL) => {
    requests.push(String(input instanceof Request ? input.url : input));
    return new Response(null, { status: 204 });
  });
  return requests;
}

/** What the cart route's action received from `CartForm`s. */
export const cartPosts: { action: string; inputs: Record<string, unknown> }[] = [];

type Publish = (event: string, payload: unknown) => void;
let currentPublish: Publish = () => undefined;

/**
 * Hydrogen's `publish` as the page has it now (silent while `canTrack()` is false), for any
 * event: the payloads here are the parts of Hydrogen's that the subscriber reads.
 */
export function publish(event: string, payload: unknown): void {
  currentPublish(event, payload);
}

function PublishHandle() {
  const { publish: latest } = useAnalytics();
  useEffect(() => {
    currentPublish = latest as Publish;
  }, [latest]);
  return null;
}

const SHOP = { shopId: 'gid://shopify/Shop/1', acceptedLanguage: 'EN' as const, currency: 'GBP' as const, hydrogenSubchannelId: '0' };
const CONSENT = { checkoutDomain: 'checkout.shop.test', storefrontAccessToken: 'a'.repeat(32) };

/**
 * A storefront whose root layout holds `<Analytics.Provider>` and `layout` (where the app puts
 * `<AffinityAnalytics>`), showing `page` at every path (following a card's link keeps it on
 * screen); `/cart` records posted cart forms.
 */
export async function storefront(page: ReactNode, layout: ReactNode = null): Promise<{ container: HTMLElement; stop: () => void }> {
  const perfKit = loadPerfKitWhenAsked();
  const router = createMemoryRouter([
    {
      path: '/',
      element: (
        <Analytics.Provider cart={null} shop={Promise.resolve(SHOP)} consent={CONSENT}>
          <PublishHandle />
          {layout}
          <Outlet />
        </Analytics.Provider>
      ),
      children: [
        {
          path: 'cart',
          action: async ({ request }) => {
            cartPosts.push(CartForm.getFormInput(await request.formData()) as { action: string; inputs: Record<string, unknown> });
            return null;
          },
        },
        { index: true, element: page },
        { path: '*', element: page },
      ],
    },
  ]);
  const { container, root } = await mount(<RouterProvider router={router} />);
  await settle();
  return {
    container,
    stop: () => {
      perfKit.disconnect();
      act(() => root.unmount());
    },
  };
}
