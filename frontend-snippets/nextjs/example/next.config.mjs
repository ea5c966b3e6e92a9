// @ts-check
/**
 * The example shop's Next.js config. What a shop's own next.config needs for Affinity is
 * `images.remotePatterns` for the shop's product images (Shopify serves them from
 * cdn.shopify.com): `<AffinityRecommendations>` shows them with `next/image`, which refuses
 * hosts it is not told about.
 */
import { fileURLToPath } from 'node:url';

/** frontend-snippets/: this example compiles the components and core/ from there. */
const snippets = fileURLToPath(new URL('../..', import.meta.url));

/** @type {import('next').NextConfig} */
const config = {
  images: {
    remotePatterns: [{ protocol: 'https', hostname: 'cdn.shopify.com', pathname: '/s/files/**' }],
  },
  // Only because the components live beside this example rather than inside it; a shop's app
  // holds its copies and needs neither line.
  turbopack: { root: snippets },
  outputFileTracingRoot: snippets,
};

export default config;
