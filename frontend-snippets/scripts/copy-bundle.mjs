// Copy the built carousel where it is served from as is: next to the demo storefront (the
// Python server) and into the Shopify theme app extension's assets (Shopify's CDN).
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const built = join(root, 'carousel/dist/affinity-carousel.js');

/** The theme asset sits among the type-checked sources: a first line keeps tsc off it. */
const THEME_ASSET_HEADER = '// @ts-nocheck: the built carousel (carousel/src), copied by scripts/copy-bundle.mjs\n';

copyFileSync(built, join(root, '../app/demo_storefront/static/affinity-carousel.js'));
writeFileSync(
  join(root, 'shopify-app/extensions/affinity-theme/assets/affinity-carousel.js'),
  THEME_ASSET_HEADER + readFileSync(built, 'utf8'),
);
