/** First-party cookie holding the anonymous visitor id; the browser sets it only with consent. */
export const VISITOR_COOKIE = 'affinity_visitor';

export function readCookie(header: string | null | undefined, name: string): string | null {
  for (const part of (header ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return decodeURIComponent(value.join('=')) || null;
  }
  return null;
}
