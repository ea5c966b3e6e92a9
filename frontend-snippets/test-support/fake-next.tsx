/** Stand-ins for `next/headers`, `next/link` and `next/image`, for tests outside a Next.js app. */
import type { AnchorHTMLAttributes, ImgHTMLAttributes } from 'react';

export const cookieJar = new Map<string, string>();

export async function cookies() {
  return {
    get: (name: string) => (cookieJar.has(name) ? { name, value: cookieJar.get(name) as string } : undefined),
    has: (name: string) => cookieJar.has(name),
  };
}

export function Link({ prefetch: _prefetch, ...props }: AnchorHTMLAttributes<HTMLAnchorElement> & { prefetch?: boolean | null }) {
  return <a {...props} />;
}

export function Image({ fill: _fill, ...props }: ImgHTMLAttributes<HTMLImageElement> & { fill?: boolean }) {
  return <img {...props} />;
}
