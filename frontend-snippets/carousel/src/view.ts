import type { RecommendedItem } from '../../core/types';
import { formatPrice, productHref } from '../../core/format';
import { STYLES } from './styles';

type Props = Record<string, string | boolean | number | undefined | null>;

/** A tiny element builder: attributes only, text as strings, no HTML parsing of catalog data. */
export function h(tag: string, props: Props = {}, ...children: (Node | string | null)[]): HTMLElement {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === true) element.setAttribute(name, '');
    else if (value !== false && value !== undefined && value !== null) element.setAttribute(name, String(value));
  }
  for (const child of children) if (child !== null) element.append(child);
  return element;
}

export interface Frame {
  section: HTMLElement;
  heading: HTMLElement;
  track: HTMLElement;
  prev: HTMLButtonElement;
  next: HTMLButtonElement;
  status: HTMLElement;
}

export interface CardOptions {
  hrefTemplate: string | null;
  currency: string | null;
  locale: string | undefined;
  /** Show an "Add to cart" button on each available product that has a handle. */
  addToCart?: boolean;
}

export function renderFrame(root: ShadowRoot, headingText: string): Frame {
  const heading = h('h2', { id: 'heading', part: 'heading' }, headingText);
  const prev = h('button', { type: 'button', part: 'nav prev', 'aria-controls': 'track', 'aria-label': 'Previous products' }, '‹');
  const next = h('button', { type: 'button', part: 'nav next', 'aria-controls': 'track', 'aria-label': 'Next products' }, '›');
  const track = h('ul', { id: 'track', class: 'track', part: 'track', role: 'list' });
  const status = h('p', { class: 'sr', role: 'status' });
  const section = h(
    'section',
    { part: 'carousel', 'aria-labelledby': 'heading', 'aria-roledescription': 'carousel', 'aria-busy': 'true' },
    h('div', { class: 'header', part: 'header' }, heading, h('div', { class: 'nav' }, prev, next)),
    track,
    status,
  );
  const style = document.createElement('style');
  style.textContent = STYLES;
  root.replaceChildren(style, section);
  return { section, heading, track, status, prev: prev as HTMLButtonElement, next: next as HTMLButtonElement };
}

/** Placeholder cards with exactly the size of real ones. */
export function renderSkeleton(frame: Frame, count: number): void {
  const card = (): HTMLElement =>
    h(
      'li',
      { class: 'card skeleton', part: 'card skeleton', 'aria-hidden': 'true' },
      h('div', { class: 'media' }),
      h('div', { class: 'title' }),
      h('div', { class: 'price' }),
      h('div', { class: 'actions' }),
    );
  frame.section.setAttribute('aria-busy', 'true');
  frame.track.replaceChildren(...Array.from({ length: count }, card));
}

export function renderCards(frame: Frame, items: RecommendedItem[], options: CardOptions): void {
  frame.track.replaceChildren(...items.map((item, index) => renderCard(item, index, options)));
  frame.section.setAttribute('aria-busy', 'false');
}

function renderCard(item: RecommendedItem, index: number, options: CardOptions): HTMLElement {
  const { product } = item;
  const href = productHref(product, options.hrefTemplate);
  const currency = product.currency ?? options.currency;
  const price = typeof product.price === 'number' ? formatPrice(product.price, currency, options.locale) : '';
  const image = product.imageUrl
    ? h('img', { part: 'image', src: product.imageUrl, alt: '', loading: 'lazy', decoding: 'async', width: 352, height: 352 })
    : null;
  const body = [h('div', { class: 'media' }, image), h('span', { class: 'title', part: 'title' }, product.title), h('span', { class: 'price', part: 'price' }, price)];
  const link = href
    ? h('a', { class: 'link', part: 'link', href, 'data-product-id': product.id }, ...body)
    : h('div', { class: 'link' }, ...body);
  const reasonsId = `reasons-${index}`;
  const reasons = h(
    'div',
    { id: reasonsId, class: 'reasons', part: 'reasons', role: 'note', hidden: true },
    h('p', {}, 'Why you see this'),
    h('ul', {}, ...(item.reasons.length ? item.reasons : [{ message: 'Popular in this shop' }]).map((r) => h('li', {}, r.message))),
  );
  const add =
    options.addToCart && product.available && product.handle
      ? h('button', { type: 'button', class: 'add', part: 'add', 'data-action': 'add', 'aria-label': `Add ${product.title} to cart` }, 'Add to cart')
      : null;
  const actions = h(
    'div',
    { class: 'actions', part: 'actions' },
    h('button', { type: 'button', part: 'why', 'data-action': 'why', 'aria-expanded': 'false', 'aria-controls': reasonsId }, 'Why this?'),
    h('button', { type: 'button', part: 'dismiss', 'data-action': 'dismiss', 'aria-label': `Not interested in ${product.title}` }, 'Not interested'),
  );
  return h(
    'li',
    { class: 'card', part: 'card', 'data-product-id': product.id },
    link,
    add,
    reasons,
    actions,
  );
}
