import { beforeEach, describe, expect, it } from 'vitest';
import {
  CART_ATTRIBUTE,
  cartAttributionFor,
  checkedCartAttribution,
  CLICK_WINDOW_MS,
  clickedCartAttributes,
  clickedRecommendationFor,
  clickedRecommendationIds,
  CLICKS_STORAGE_KEY,
  LINE_PROPERTY,
  MAX_REMEMBERED_CLICKS,
  mergeCartAttributes,
  rememberRecommendationClick,
  rememberedClicks,
} from '../attribution';
import { FULL_CONSENT, NO_CONSENT, type Consent } from '../types';

const T0 = Date.UTC(2026, 11, 1, 12);
const analyticsOnly: Consent = { analytics: true, personalization: false };
const personalizationOnly: Consent = { analytics: false, personalization: true };
const store = (): Storage => window.localStorage;

/** A recommendation id as Affinity makes them: 32 hex digits. */
const rec = (n: number): string => n.toString(16).padStart(32, '0');

beforeEach(() => window.localStorage.clear());

describe('remembering clicked recommendations', () => {
  it('keeps the ranking per product and hands it to the line and the cart', () => {
    expect(rememberRecommendationClick('101', rec(1), FULL_CONSENT, { store: store(), now: T0 })).toBe(true);
    expect(rememberRecommendationClick('102', rec(2), analyticsOnly, { store: store(), now: T0 + 1 })).toBe(true);

    expect(clickedRecommendationFor('101', FULL_CONSENT, { store: store(), now: T0 + 2 })).toBe(rec(1));
    expect(cartAttributionFor('101', FULL_CONSENT, { store: store(), now: T0 + 2 })).toEqual({
      lineAttributes: [{ key: LINE_PROPERTY, value: rec(1) }],
      cartAttributes: [{ key: CART_ATTRIBUTE, value: `${rec(1)},${rec(2)}` }],
    });
    // A product never clicked gets no line attribute, and the cart still names the clicks.
    expect(cartAttributionFor('999', FULL_CONSENT, { store: store(), now: T0 + 2 })).toEqual({
      lineAttributes: [],
      cartAttributes: [{ key: CART_ATTRIBUTE, value: `${rec(1)},${rec(2)}` }],
    });
  });

  it("matches Shopify's GIDs to Affinity's product ids", () => {
    rememberRecommendationClick('101', rec(1), FULL_CONSENT, { store: store(), now: T0 });
    expect(clickedRecommendationFor('gid://shopify/Product/101', FULL_CONSENT, { store: store(), now: T0 })).toBe(rec(1));
  });

  it('keeps the last 20 clicked products, oldest out first', () => {
    for (let n = 1; n <= 25; n++) rememberRecommendationClick(`p${n}`, rec(n), FULL_CONSENT, { store: store(), now: T0 + n });
    const clicks = rememberedClicks(FULL_CONSENT, { store: store(), now: T0 + 30 });
    expect(clicks).toHaveLength(MAX_REMEMBERED_CLICKS);
    expect(clicks[0]?.productId).toBe('p6');
    expect(clicks.at(-1)?.productId).toBe('p25');
    const ids = clickedRecommendationIds(FULL_CONSENT, { store: store(), now: T0 + 30 });
    expect(ids).toEqual(Array.from({ length: 20 }, (_, i) => rec(i + 6)));
    expect(clickedRecommendationFor('p5', FULL_CONSENT, { store: store(), now: T0 + 30 })).toBeNull();
  });

  it('keeps one click per product and names each ranking once, at its latest place', () => {
    rememberRecommendationClick('a', rec(1), FULL_CONSENT, { store: store(), now: T0 });
    rememberRecommendationClick('b', rec(2), FULL_CONSENT, { store: store(), now: T0 + 1 });
    rememberRecommendationClick('c', rec(1), FULL_CONSENT, { store: store(), now: T0 + 2 });
    rememberRecommendationClick('b', rec(3), FULL_CONSENT, { store: store(), now: T0 + 3 });

    expect(rememberedClicks(FULL_CONSENT, { store: store(), now: T0 + 4 }).map((click) => [click.productId, click.recommendationId])).toEqual([
      ['a', rec(1)],
      ['c', rec(1)],
      ['b', rec(3)],
    ]);
    expect(clickedCartAttributes(FULL_CONSENT, { store: store(), now: T0 + 4 })).toEqual([
      { key: CART_ATTRIBUTE, value: `${rec(1)},${rec(3)}` },
    ]);
    // The ranking an add comes from goes last, once.
    expect(cartAttributionFor('d', FULL_CONSENT, { store: store(), now: T0 + 4, recommendationId: rec(1) }).cartAttributes).toEqual([
      { key: CART_ATTRIBUTE, value: `${rec(3)},${rec(1)}` },
    ]);
  });

  it('forgets clicks once the 7-day click window has passed', () => {
    rememberRecommendationClick('old', rec(1), FULL_CONSENT, { store: store(), now: T0 });
    rememberRecommendationClick('new', rec(2), FULL_CONSENT, { store: store(), now: T0 + 1000 });

    const justInside = T0 + CLICK_WINDOW_MS;
    expect(clickedRecommendationFor('old', FULL_CONSENT, { store: store(), now: justInside })).toBe(rec(1));
    const justOutside = T0 + CLICK_WINDOW_MS + 1;
    expect(clickedRecommendationFor('old', FULL_CONSENT, { store: store(), now: justOutside })).toBeNull();
    expect(clickedRecommendationIds(FULL_CONSENT, { store: store(), now: justOutside })).toEqual([rec(2)]);

    // The next click drops expired ones from storage too.
    rememberRecommendationClick('third', rec(3), FULL_CONSENT, { store: store(), now: justOutside });
    expect(JSON.parse(window.localStorage.getItem(CLICKS_STORAGE_KEY) ?? '[]').map((click: { productId: string }) => click.productId)).toEqual([
      'new',
      'third',
    ]);
  });

  it.each([
    ['no consent', NO_CONSENT],
    ['personalization only', personalizationOnly],
  ])('stores nothing and forgets what it had with %s', (_case, consent) => {
    rememberRecommendationClick('101', rec(1), FULL_CONSENT, { store: store(), now: T0 });
    expect(window.localStorage.getItem(CLICKS_STORAGE_KEY)).not.toBeNull();

    expect(rememberRecommendationClick('102', rec(2), consent, { store: store(), now: T0 + 1 })).toBe(false);
    expect(window.localStorage.getItem(CLICKS_STORAGE_KEY)).toBeNull();
    expect(cartAttributionFor('101', consent, { store: store(), now: T0 + 1, recommendationId: rec(3) })).toEqual({
      lineAttributes: [],
      cartAttributes: [],
    });
    // Consent given again does not bring the forgotten clicks back.
    expect(clickedRecommendationFor('101', FULL_CONSENT, { store: store(), now: T0 + 2 })).toBeNull();
  });

  it('refuses ids that are not recommendation ids, and survives a damaged store', () => {
    expect(rememberRecommendationClick('101', 'a,b', FULL_CONSENT, { store: store(), now: T0 })).toBe(false);
    expect(rememberRecommendationClick('101', 'x'.repeat(65), FULL_CONSENT, { store: store(), now: T0 })).toBe(false);
    expect(rememberRecommendationClick('', rec(1), FULL_CONSENT, { store: store(), now: T0 })).toBe(false);
    expect(window.localStorage.getItem(CLICKS_STORAGE_KEY)).toBeNull();

    window.localStorage.setItem(CLICKS_STORAGE_KEY, '{not json');
    expect(rememberedClicks(FULL_CONSENT, { store: store(), now: T0 })).toEqual([]);
    window.localStorage.setItem(CLICKS_STORAGE_KEY, JSON.stringify([{ productId: '1', recommendationId: 'a,b', clickedAt: T0 }, { productId: '2', recommendationId: rec(2), clickedAt: T0 }]));
    expect(rememberedClicks(FULL_CONSENT, { store: store(), now: T0 }).map((click) => click.productId)).toEqual(['2']);
    expect(rememberRecommendationClick('3', rec(3), FULL_CONSENT, { store: null, now: T0 })).toBe(false);
  });
});

describe('on the shop server', () => {
  it('takes only Affinity keys and valid ids, at most 20, from the browser', () => {
    const many = Array.from({ length: 25 }, (_, i) => rec(i + 1));
    const checked = checkedCartAttribution({
      lineAttributes: [{ key: 'gift', value: 'yes' }, { key: LINE_PROPERTY, value: rec(7) }],
      cartAttributes: [{ key: CART_ATTRIBUTE, value: [...many.slice(0, 5), 'not valid', 'y'.repeat(65), ...many.slice(5), rec(1)].join(',') }],
    });
    expect(checked.lineAttributes).toEqual([{ key: LINE_PROPERTY, value: rec(7) }]);
    const ids = checked.cartAttributes[0]?.value.split(',') ?? [];
    expect(ids).toHaveLength(20);
    expect(ids.at(-1)).toBe(rec(1));
    expect(ids).not.toContain('not valid');
    expect(ids.every((id) => id.length === 32)).toBe(true);

    expect(checkedCartAttribution({ lineAttributes: [{ key: LINE_PROPERTY, value: 'x y' }] })).toEqual({ lineAttributes: [], cartAttributes: [] });
    expect(checkedCartAttribution('nonsense')).toEqual({ lineAttributes: [], cartAttributes: [] });
    expect(checkedCartAttribution({ cartAttributes: [{ key: CART_ATTRIBUTE, value: rec(1).repeat(100) }] }).cartAttributes).toEqual([]);
  });

  it("keeps the cart's other attributes when setting Affinity's", () => {
    const merged = mergeCartAttributes(
      [{ key: 'gift_note', value: 'Happy birthday' }, { key: CART_ATTRIBUTE, value: rec(1) }],
      [{ key: CART_ATTRIBUTE, value: `${rec(1)},${rec(2)}` }],
    );
    expect(merged).toEqual([
      { key: 'gift_note', value: 'Happy birthday' },
      { key: CART_ATTRIBUTE, value: `${rec(1)},${rec(2)}` },
    ]);
  });
});
