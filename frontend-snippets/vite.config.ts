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
  // The framework folders import the shared modules as `@affinity/core/<module>`, as `paths` in
  // tsconfig.json and tsconfig.hydrogen.json map it.
  resolve: { alias: [{ find: /^@affinity\/core\//, replacement: fileURLToPath(new URL('core/', import.meta.url)) }] },
  test: {
    // The real Hydrogen, React Router and Next.js run in the tests; only `next/headers` is stood in
    // for, since its `cookies()` needs the request scope of a Next.js render.
    alias: {
      'next/headers': fileURLToPath(new URL('test-support/next-headers.ts', import.meta.url)),
    },
    // Hydrogen goes through Vite like the tests do, so both load the same React Router (two
    // copies would each have their own router context).
    server: { deps: { inline: ['@shopify/hydrogen', '@shopify/hydrogen-react'] } },
    environment: 'jsdom',
    include: ['{core,carousel,hydrogen,nextjs,shopify-app}/**/*.test.{ts,tsx}'],
    exclude: ['**/node_modules/**', 'nextjs/example/**'],
    restoreMocks: true,
  },
});
