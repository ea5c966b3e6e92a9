import type { Product } from './types';

/** "€12.50" in the shop's currency and the page's language; a bare number when no currency is known. */
export function formatPrice(price: number, currency: string | null | undefined, locale?: string): string {
  const locales = locale ? [locale] : undefined;
  if (currency) {
    try {
      return new Intl.NumberFormat(locales, { style: 'currency', currency }).format(price);
    } catch {
      return `${price.toFixed(2)} ${currency}`;
    }
  }
  return new Intl.NumberFormat(locales, { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(price);
}

/**
 * Where a card links to: the `product-url` template ("/products/{handle}", "/p/{id}") when
 * given, else the product's own url, else Shopify's `/products/<handle>`.
 */
export function productHref(product: Product, template: string | null): string | null {
  if (template) {
    return template
      .replaceAll('{id}', encodeURIComponent(product.id))
      .replaceAll('{handle}', encodeURIComponent(product.handle ?? product.id));
  }
  if (product.url) return product.url;
  return product.handle ? `/products/${encodeURIComponent(product.handle)}` : null;
}
