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
    environment: 'jsdom',
    include: ['{core,carousel,hydrogen,nextjs}/**/*.test.{ts,tsx}'],
    restoreMocks: true,
  },
});
