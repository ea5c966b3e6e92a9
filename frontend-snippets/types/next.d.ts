/**
 * The part of Next.js (16) the Next.js Commerce integration uses: `cookies()` from
 * `next/headers`, `<Link>` and `<Image>`. Declared here so the snippets type-check without
 * installing Next.js itself.
 */
declare module 'next/headers' {
  export interface ReadonlyRequestCookies {
    get(name: string): { name: string; value: string } | undefined;
    has(name: string): boolean;
  }
  export function cookies(): Promise<ReadonlyRequestCookies>;
}

declare module 'next/link' {
  import type { AnchorHTMLAttributes, JSX, ReactNode } from 'react';
  export interface LinkProps extends Omit<AnchorHTMLAttributes<HTMLAnchorElement>, 'href'> {
    href: string;
    prefetch?: boolean | null;
    children?: ReactNode;
  }
  export default function Link(props: LinkProps): JSX.Element;
}

declare module 'next/image' {
  import type { ImgHTMLAttributes, JSX } from 'react';
  export interface ImageProps extends Omit<ImgHTMLAttributes<HTMLImageElement>, 'src' | 'alt' | 'width' | 'height'> {
    src: string;
    alt: string;
    width?: number;
    height?: number;
    fill?: boolean;
    sizes?: string;
    unoptimized?: boolean;
  }
  export default function Image(props: ImageProps): JSX.Element;
}
