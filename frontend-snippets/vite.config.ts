import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/** Builds the carousel into one ES module that a storefront loads with a single script tag. */
export default defineConfig({
  build: {
    outDir: 'carousel/dist',
    emptyOutDir: true,
    target: 'es2022',
    minify: true,
    sourcemap: false,
    // Library builds keep whitespace by default; a script tag wants the smallest file.
    rolldownOptions: { output: { minify: true } },
    lib: {
      entry: 'carousel/src/index.ts',
      formats: ['es'],
      fileName: () => 'affinity-carousel.js',
    },
  },
  test: {
    // Hydrogen and Next.js are not installed: tests run the snippets against small fakes.
    alias: {
      '@shopify/hydrogen': fileURLToPath(new URL('test-support/fake-hydrogen.ts', import.meta.url)),
      'next/headers': fileURLToPath(new URL('test-support/fake-next.tsx', import.meta.url)),
      'next/link': fileURLToPath(new URL('test-support/next-link.ts', import.meta.url)),
      'next/image': fileURLToPath(new URL('test-support/next-image.ts', import.meta.url)),
    },
    environment: 'jsdom',
    include: ['{core,carousel,hydrogen,nextjs}/**/*.test.{ts,tsx}'],
    restoreMocks: true,
  },
});
