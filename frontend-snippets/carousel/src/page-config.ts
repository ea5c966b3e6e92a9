/**
 * Page-wide settings for every carousel on a page, so that a theme's blocks need not repeat
 * them: the `data-affinity-config` element's `data-endpoint`, `data-collect-endpoint` and
 * `data-storefront-key` (the Shopify app embed puts them on the script tag that loads the
 * carousel). An element's own attribute always wins.
 */

/** The attributes a page may set once. */
export type PageAttribute = 'endpoint' | 'collect-endpoint' | 'storefront-key';

const CONFIG_SELECTOR = '[data-affinity-config]';
/** Longer values are not ones a theme renders: they are ignored. */
const MAX_VALUE_LENGTH = 2048;

/** The page's setting for `attribute`, or null when it has none. */
export function pageSetting(doc: Document, attribute: PageAttribute): string | null {
  const value = doc.querySelector(CONFIG_SELECTOR)?.getAttribute(`data-${attribute}`)?.trim();
  return value && value.length <= MAX_VALUE_LENGTH ? value : null;
}

/** The element's attribute, else the page's setting of the same name, else null. */
export function configured(element: Element, attribute: PageAttribute): string | null {
  return element.getAttribute(attribute) ?? pageSetting(element.ownerDocument, attribute);
}
