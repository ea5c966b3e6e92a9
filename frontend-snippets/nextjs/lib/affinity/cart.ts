/**
 * The shop's side of order attribution through the cart, for Next.js Commerce's cart server
 * actions: what an add to cart from the browser says about clicked recommendations, checked
 * before it reaches Shopify, and the Storefront API mutation for the cart attribute. Shopify
 * hands line attributes and cart attributes back in its order webhooks, so Affinity can tell
 * which recommendations an order came from.
 *
 *   'use server';
 *   export async function addItem(prevState: unknown, { variantId, attribution }: { variantId: string; attribution: unknown }) {
 *     const { lineAttributes, cartAttributes } = affinityCartAttribution(attribution);
 *     await addToCart([{ merchandiseId: variantId, quantity: 1, attributes: lineAttributes }]);
 *     if (cartAttributes.length) await updateCartAttributes(mergeCartAttributes((await getCart())?.attributes, cartAttributes));
 *   }
 */
import { checkedCartAttribution, type CartAttribution } from '@affinity/core/attribution';

export { CART_ATTRIBUTE, LINE_PROPERTY, mergeCartAttributes, type CartAttribute, type CartAttribution } from '@affinity/core/attribution';

/** What `<AffinityRecommendations addToCart>` hands its server action when a card's button is pressed. */
export interface AffinityCartAddition extends CartAttribution {
  /** Affinity's product id (Shopify's numeric id). */
  productId: string;
  /** The product's handle, to find the variant to add (`getProduct(handle)`). */
  handle: string | null;
  quantity: number;
  /** The ranking the card belongs to. */
  recommendationId: string;
}

/**
 * The attribution a browser sent (`useAffinityCartAttribution`, or an `AffinityCartAddition`),
 * as the cart may take it: `lineAttributes` holds at most `_affinity_rec` with a recommendation
 * id, `cartAttributes` at most `_affinity_recs` with up to 20 ids; anything else is dropped.
 */
export function affinityCartAttribution(input: unknown): CartAttribution {
  return checkedCartAttribution(input);
}

/**
 * The Storefront API mutation that sets a cart's attributes, for `shopifyFetch`. It replaces
 * the whole set: pass `mergeCartAttributes(cart.attributes, cartAttributes)`, not Affinity's
 * alone (vercel/commerce's cart fragment must then ask for `attributes { key value }`).
 */
export const CART_ATTRIBUTES_UPDATE_MUTATION = /* GraphQL */ `
  mutation affinityCartAttributesUpdate($cartId: ID!, $attributes: [AttributeInput!]!) {
    cartAttributesUpdate(cartId: $cartId, attributes: $attributes) {
      cart { id }
      userErrors { field message }
    }
  }
`;

