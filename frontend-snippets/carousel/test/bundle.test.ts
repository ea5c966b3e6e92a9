// @vitest-environment node
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const built = join(root, 'carousel/dist/affinity-carousel.js');
const served = join(root, '../app/demo_storefront/static/affinity-carousel.js');
const themeAsset = join(root, 'shopify-app/extensions/affinity-theme/assets/affinity-carousel.js');

describe('the carousel bundle', () => {
  it('is built (npm test builds it first)', () => {
    expect(existsSync(built), 'run `npm run build`').toBe(true);
  });

  it('stays within 12 kB gzipped', () => {
    expect(gzipSync(readFileSync(built), { level: 9 }).length).toBeLessThanOrEqual(12 * 1024);
  });

  it('is an ES module without dependencies', () => {
    const source = readFileSync(built, 'utf8');
    expect(source).not.toMatch(/\bimport\s*[\w{*][^;]*from\s*["']/);
    expect(source).toMatch(/\bexport\s*\{/);
  });

  it('matches the copy the demo storefront serves (run `npm run build` after changing it)', () => {
    expect(readFileSync(served, 'utf8')).toBe(readFileSync(built, 'utf8'));
  });

  it("matches the copy in the Shopify theme app extension's assets (run `npm run build` after changing it)", () => {
    const header = '// @ts-nocheck: the built carousel (carousel/src), copied by scripts/copy-bundle.mjs\n';
    expect(readFileSync(themeAsset, 'utf8')).toBe(header + readFileSync(built, 'utf8'));
  });
});
