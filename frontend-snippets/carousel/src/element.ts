import { cartAttributionFor, clickedCartAttributes, forgetRecommendationClicks, rememberRecommendationClick } from '../../core/attribution';
import { fetchRecommendations, type RecommendationRequest } from '../../core/client';
import type { EventFields } from '../../core/events';
import type { Consent, EventType, Placement, Recommendations } from '../../core/types';
import { addToShopifyCart, shopifyCartRoot, updateCartAttributes } from './cart';
import { loadShopifyConsentApi, resolveConsent, watchShopifyConsent, type ShopifyWindow } from './consent';
import { configured } from './page-config';
import { createTracker, warnCustomerIdIgnored, type Tracker } from './tracker';
import { renderCards, renderFrame, renderSkeleton, type Frame } from './view';
import { visitorIdFor } from './visitor';

const HEADINGS: Record<string, string> = {
  HOME: 'Recommended for you',
  PRODUCT: 'You may also like',
  CART: 'Goes well with your cart',
  SEARCH: 'You might also like',
  POST_PURCHASE: 'Complete your order',
  EMAIL: 'Picked for you',
  SIMILAR: 'Similar products',
};

/** Attributes whose change asks for a new ranking. */
const RELOADING = ['placement', 'product-id', 'product-ids', 'source', 'first', 'customer-token', 'endpoint', 'storefront-key'];

/** Products viewed on this page, so two carousels do not report the same view twice. */
const viewedProducts = new Set<string>();

/**
 * Ranking requests with the shop's cookies, to the page's own origin only: through Shopify's
 * app proxy they tell Shopify who is logged in. Used with personalization consent only.
 */
const withShopCookies: typeof fetch = (input, init) => fetch(input, { ...init, credentials: 'same-origin' });

function afterRender(callback: () => void): void {
  const idle = (): void => {
    if ('requestIdleCallback' in window) window.requestIdleCallback(callback, { timeout: 300 });
    else setTimeout(callback, 1);
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', idle, { once: true });
  else idle();
}

/**
 * `<affinity-carousel placement="PRODUCT" product-id="…" endpoint="…" storefront-key="…">`:
 * fetches a ranking after the page has rendered, shows it, reports what the visitor sees
 * and clicks (with consent only), and hides itself when anything goes wrong. A logged-in
 * customer is named only by `customer-token`, signed by the shop's server.
 */
export class AffinityCarousel extends HTMLElement {
  static readonly observedAttributes = [...RELOADING, 'consent', 'heading', 'add-to-cart', 'cart'];

  #frame: Frame | null = null;
  #recommendations: Recommendations | null = null;
  #generation = 0;
  #abort: AbortController | null = null;
  #observer: IntersectionObserver | null = null;
  #unwatchConsent: (() => void) | null = null;
  #personalized: boolean | null = null;
  #waitTimer: ReturnType<typeof setTimeout> | undefined;
  #scheduled = false;

  connectedCallback(): void {
    if (this.hasAttribute('customer-id')) warnCustomerIdIgnored();
    if (!this.#frame) this.#frame = this.#build();
    if (!this.#unwatchConsent) {
      this.#unwatchConsent = watchShopifyConsent(document, () => this.#consentChanged());
      loadShopifyConsentApi(window as ShopifyWindow, () => this.#consentChanged());
    }
    if (!this.#recommendations) this.#schedule();
  }

  disconnectedCallback(): void {
    this.#abort?.abort();
    this.#observer?.disconnect();
    this.#unwatchConsent?.();
    this.#unwatchConsent = null;
    clearTimeout(this.#waitTimer);
  }

  attributeChangedCallback(name: string, previous: string | null, value: string | null): void {
    if (previous === value || !this.#frame) return;
    if (name === 'heading') this.#frame.heading.textContent = this.#heading();
    else if (name === 'consent') this.#consentChanged();
    else if (name === 'add-to-cart' || name === 'cart') this.#rerender();
    else if (this.isConnected) this.#schedule();
  }

  /** The ranking on display, once loaded. */
  get recommendations(): Recommendations | null {
    return this.#recommendations;
  }

  /** The consent in force: the `consent` attribute, else Shopify's Customer Privacy API. */
  get consent(): Consent {
    return resolveConsent(this.getAttribute('consent'), window as ShopifyWindow);
  }

  #build(): Frame {
    const frame = renderFrame(this.shadowRoot ?? this.attachShadow({ mode: 'open' }), this.#heading());
    renderSkeleton(frame, Math.min(this.#first(), 8));
    frame.track.addEventListener('click', (event) => this.#onClick(event));
    frame.track.addEventListener('auxclick', (event) => event.button === 1 && this.#onClick(event));
    frame.track.addEventListener('keydown', (event) => this.#onKey(event));
    frame.track.addEventListener('scroll', () => this.#updateNav(), { passive: true });
    frame.prev.addEventListener('click', () => this.#page(-1));
    frame.next.addEventListener('click', () => this.#page(1));
    return frame;
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    afterRender(() => {
      this.#scheduled = false;
      void this.#load();
    });
  }

  async #load(): Promise<void> {
    const key = configured(this, 'storefront-key');
    clearTimeout(this.#waitTimer);
    if (!key) {
      // The page may still set the key; give it as long as a request would get.
      this.#waitTimer = setTimeout(() => this.#fail('missing storefront-key'), this.#timeout());
      return;
    }
    const generation = ++this.#generation;
    if (this.#recommendations && this.#frame) renderSkeleton(this.#frame, Math.min(this.#first(), 8));
    this.#recommendations = null;
    this.#abort?.abort();
    this.#abort = new AbortController();
    const consent = this.consent;
    this.#personalized = consent.personalization;
    this.#reportProductView();
    try {
      const recommendations = await fetchRecommendations(this.#request(consent), {
        endpoint: configured(this, 'endpoint') ?? '/graphql',
        storefrontKey: key,
        fetch: consent.personalization ? withShopCookies : undefined,
        signal: this.#abort.signal,
        timeoutMs: this.#timeout(),
      });
      if (generation !== this.#generation) return;
      if (!recommendations.items.length) this.#fail('no recommendations');
      else this.#show(recommendations);
    } catch (error) {
      if (generation === this.#generation) this.#fail(error instanceof Error ? error.message : String(error));
    }
  }

  #request(consent: Consent): RecommendationRequest {
    const productId = this.getAttribute('product-id');
    const listed = (this.getAttribute('product-ids') ?? '').split(/[\s,]+/).filter(Boolean);
    const productIds = productId ? [productId, ...listed] : listed;
    return {
      placement: (this.getAttribute('placement') ?? 'HOME').toUpperCase() as Placement,
      productIds,
      similarTo: this.getAttribute('source') === 'similar' ? productId : null,
      first: this.#first(),
      // Without personalization consent the ranking is asked for anonymously.
      visitorId: consent.personalization ? visitorIdFor(consent) : null,
      customerToken: consent.personalization ? this.getAttribute('customer-token') : null,
    };
  }

  #show(recommendations: Recommendations): void {
    const frame = this.#frame;
    if (!frame) return;
    this.#recommendations = recommendations;
    this.hidden = false;
    this.#renderCards(frame, recommendations);
    this.#updateNav();
    this.#observeView(recommendations.recommendationId);
    this.#emit('affinity:load', { recommendationId: recommendations.recommendationId, count: recommendations.items.length });
  }

  #renderCards(frame: Frame, recommendations: Recommendations): void {
    renderCards(frame, recommendations.items, {
      hrefTemplate: this.getAttribute('product-url'),
      currency: this.getAttribute('currency') ?? (window as ShopifyWindow).Shopify?.currency?.active ?? null,
      locale: this.getAttribute('locale') ?? (document.documentElement.lang || undefined),
      addToCart: this.hasAttribute('add-to-cart') && this.#cartRoot() !== null,
    });
  }

  #rerender(): void {
    if (this.#frame && this.#recommendations) this.#renderCards(this.#frame, this.#recommendations);
  }

  /** The Ajax cart API's root on a Shopify theme (see the `cart` attribute), else null. */
  #cartRoot(): string | null {
    return shopifyCartRoot(this.getAttribute('cart'), window as ShopifyWindow);
  }

  #fail(reason: string): void {
    this.#recommendations = null;
    this.hidden = true;
    this.#emit('affinity:error', { reason });
  }

  #observeView(recommendationId: string): void {
    this.#observer?.disconnect();
    if (typeof IntersectionObserver === 'undefined') return;
    this.#observer = new IntersectionObserver(
      (entries) => {
        if (!entries.some((entry) => entry.isIntersecting)) return;
        this.#observer?.disconnect();
        this.#track('RECOMMENDATIONS_VIEWED', { recommendationId });
      },
      { threshold: 0.5 },
    );
    this.#observer.observe(this);
  }

  #reportProductView(): void {
    const productId = this.getAttribute('product-id');
    const placement = (this.getAttribute('placement') ?? '').toUpperCase();
    if (placement !== 'PRODUCT' || !productId || this.hasAttribute('no-product-view')) return;
    if (viewedProducts.has(productId)) return;
    if (this.#track('PRODUCT_VIEWED', { productId })) viewedProducts.add(productId);
  }

  #onClick(event: MouseEvent): void {
    const target = event.target as Element;
    const button = target.closest<HTMLButtonElement>('button[data-action]');
    if (button) {
      if (button.dataset.action === 'why') this.#toggleReasons(button);
      else if (button.dataset.action === 'add') void this.#addToCart(button);
      else this.#dismiss(button);
      return;
    }
    const link = target.closest<HTMLElement>('a[data-product-id]');
    if (link?.dataset.productId) {
      // Sent at once: the browser is about to leave the page.
      this.#track('PRODUCT_CLICKED', { productId: link.dataset.productId, recommendationId: this.#rankingId() }, true);
      this.#rememberClick(link.dataset.productId);
    }
  }

  /**
   * Keep the click for the cart (with analytics consent only) and, on a Shopify theme, name
   * the clicked rankings in the cart attribute: the product page's own form adds the product.
   */
  #rememberClick(productId: string): void {
    const recommendationId = this.#rankingId();
    const consent = this.consent;
    if (!recommendationId || !rememberRecommendationClick(productId, recommendationId, consent)) return;
    const root = this.#cartRoot();
    if (root) void updateCartAttributes(root, clickedCartAttributes(consent));
  }

  /** The card's "Add to cart": `/cart/add.js` with the ranking as a hidden line-item property. */
  async #addToCart(button: HTMLButtonElement): Promise<void> {
    const card = button.closest<HTMLElement>('li');
    const root = this.#cartRoot();
    const recommendationId = this.#rankingId();
    const item = this.#recommendations?.items.find((candidate) => candidate.product.id === card?.dataset.productId);
    const frame = this.#frame;
    const handle = item?.product.handle;
    if (!item || !handle || !root || !frame || button.disabled) return;
    const { product } = item;
    const consent = this.consent;
    if (recommendationId) rememberRecommendationClick(product.id, recommendationId, consent);
    const attribution = cartAttributionFor(product.id, consent, { recommendationId: recommendationId ?? null });
    button.disabled = true;
    try {
      const { variantId, line } = await addToShopifyCart(root, { handle, quantity: 1, properties: attribution.lineAttributes });
      await updateCartAttributes(root, attribution.cartAttributes);
      frame.status.textContent = `${product.title} added to your cart.`;
      this.#track('PRODUCT_ADDED_TO_CART', { productId: product.id, variantId, quantity: 1, recommendationId });
      this.#emit('affinity:cart-add', { productId: product.id, variantId, recommendationId, line });
    } catch (error) {
      frame.status.textContent = `${product.title} could not be added to your cart.`;
      this.#emit('affinity:cart-error', { productId: product.id, reason: error instanceof Error ? error.message : String(error) });
    } finally {
      button.disabled = false;
    }
  }

  #toggleReasons(button: HTMLButtonElement): void {
    const open = button.getAttribute('aria-expanded') !== 'true';
    button.setAttribute('aria-expanded', String(open));
    const panel = this.shadowRoot?.getElementById(button.getAttribute('aria-controls') ?? '');
    if (panel) panel.hidden = !open;
  }

  #dismiss(button: HTMLButtonElement): void {
    const card = button.closest<HTMLElement>('li');
    const frame = this.#frame;
    if (!card || !frame) return;
    const productId = card.dataset.productId ?? '';
    this.#track('PRODUCT_DISMISSED', { productId, recommendationId: this.#rankingId() });
    const neighbour = (card.nextElementSibling ?? card.previousElementSibling) as HTMLElement | null;
    const title = card.querySelector('.title')?.textContent ?? 'Product';
    card.remove();
    frame.status.textContent = `${title} removed. You will see fewer products like it.`;
    if (this.#recommendations) {
      this.#recommendations = {
        ...this.#recommendations,
        items: this.#recommendations.items.filter((item) => item.product.id !== productId),
      };
    }
    if (neighbour) neighbour.querySelector<HTMLElement>('a, button')?.focus();
    else this.#fail('every product dismissed');
    this.#updateNav();
  }

  #onKey(event: KeyboardEvent): void {
    const target = event.target as HTMLElement;
    if (event.key === 'Escape') {
      const card = target.closest('li');
      const open = card?.querySelector<HTMLButtonElement>('button[aria-expanded="true"]');
      if (open) {
        this.#toggleReasons(open);
        open.focus();
      }
      return;
    }
    const moves: Record<string, (cards: HTMLElement[], index: number) => number> = {
      ArrowRight: (_, i) => i + 1,
      ArrowLeft: (_, i) => i - 1,
      Home: () => 0,
      End: (cards) => cards.length - 1,
    };
    const move = moves[event.key];
    if (!move || !target.classList.contains('link')) return;
    const cards = Array.from(this.#frame?.track.children ?? []) as HTMLElement[];
    const index = cards.indexOf(target.closest('li') as HTMLElement);
    const next = cards[Math.max(0, Math.min(cards.length - 1, move(cards, index)))];
    next?.querySelector<HTMLElement>('a.link')?.focus({ preventScroll: true });
    next?.scrollIntoView?.({ block: 'nearest', inline: 'nearest' });
    event.preventDefault();
  }

  #page(direction: number): void {
    const track = this.#frame?.track;
    track?.scrollBy({ left: direction * track.clientWidth * 0.9 });
  }

  #updateNav(): void {
    const frame = this.#frame;
    if (!frame) return;
    const { scrollLeft, scrollWidth, clientWidth } = frame.track;
    frame.prev.disabled = scrollLeft <= 1;
    frame.next.disabled = scrollLeft + clientWidth >= scrollWidth - 1;
  }

  #consentChanged(): void {
    const consent = this.consent;
    if (!consent.analytics && !consent.personalization) visitorIdFor(consent);
    if (!consent.analytics) forgetRecommendationClicks();
    // A new personalization decision deserves a new ranking; the box keeps its size.
    if (this.#personalized !== null && this.#personalized !== consent.personalization && this.isConnected) {
      this.#schedule();
    }
  }

  #track(type: EventType, fields: EventFields, urgent = false): boolean {
    const event = this.#tracker()?.track(type, fields, urgent);
    if (event) this.#emit('affinity:track', event);
    return Boolean(event);
  }

  #tracker(): Tracker | null {
    const storefrontKey = configured(this, 'storefront-key');
    if (!storefrontKey) return null;
    return createTracker({
      storefrontKey,
      endpoint: configured(this, 'endpoint') ?? '/graphql',
      collectEndpoint: configured(this, 'collect-endpoint'),
      consent: () => this.consent,
      customerToken: this.getAttribute('customer-token'),
    });
  }

  #rankingId(): string | undefined {
    return this.#recommendations?.recommendationId;
  }

  #heading(): string {
    const source = this.getAttribute('source') === 'similar' ? 'SIMILAR' : null;
    const placement = source ?? (this.getAttribute('placement') ?? 'HOME').toUpperCase();
    return this.getAttribute('heading') ?? HEADINGS[placement] ?? HEADINGS.HOME ?? '';
  }

  #first(): number {
    const first = Number.parseInt(this.getAttribute('first') ?? '', 10);
    return Number.isFinite(first) && first > 0 ? Math.min(first, 24) : 8;
  }

  #timeout(): number {
    const timeout = Number.parseInt(this.getAttribute('timeout') ?? '', 10);
    return Number.isFinite(timeout) && timeout > 0 ? timeout : 3000;
  }

  #emit(name: string, detail: unknown): void {
    this.dispatchEvent(new CustomEvent(name, { detail, bubbles: true, composed: true }));
  }
}
