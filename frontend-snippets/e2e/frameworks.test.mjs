// @ts-check
/**
 * The Next.js and Hydrogen components on the real frameworks, against the real server and its
 * demo shop: the example Next.js app (nextjs/example) is built with `next build`, served with
 * `next start` and loaded in Chromium; the Hydrogen route (hydrogen/test/home-route.tsx) is
 * rendered by React Router's static handler under Hydrogen's `<Analytics.Provider>` in Node.
 *
 * `next build` keeps its cache in nextjs/example/.next/cache (gitignored), so later runs
 * rebuild in a fraction of the first run's time. The times are reported as test diagnostics.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { cp, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import { createServer } from 'vite';
import { freePort, startServer } from './server.mjs';

/** @typedef {import('./server.mjs').RunningServer} RunningServer */

const run = promisify(execFile);
const SNIPPETS = join(import.meta.dirname, '..');
const EXAMPLE = join(SNIPPETS, 'nextjs', 'example');
const NEXT_BIN = join(SNIPPETS, 'node_modules', 'next', 'dist', 'bin', 'next');
const ARTIFACTS = join(import.meta.dirname, 'artifacts');
const CHROMIUM = process.env.AFFINITY_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-sync'];

const missingChromium = !existsSync(CHROMIUM);
if (missingChromium && process.env.CI === 'true') {
  throw new Error(`${CHROMIUM} is required under CI=true (apt-get install -y chromium)`);
}

/** The environment of a child process: this one's, without any Affinity variable, plus `extra`. */
function childEnv(/** @type {Record<string, string>} */ extra = {}) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('AFFINITY_')));
  return { ...env, NEXT_TELEMETRY_DISABLED: '1', ...extra };
}

/**
 * @param {string} url
 * @param {number} timeoutMs
 * @param {() => string | null} failure
 */
async function waitForListening(url, timeoutMs, failure) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const reason = failure();
    if (reason) throw new Error(reason);
    try {
      await fetch(url);
      return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${url} did not answer within ${timeoutMs / 1000}s`);
}

/**
 * Lay files out as a shop's app holds its copies, under e2e/artifacts/ (so `node_modules` is
 * found), with `core/` where the README says, and type-check them with the app's tsconfig.json.
 * @param {string} name
 * @param {[string, string][]} copies [from (under frontend-snippets/), to (under the app)]
 * @param {string} corePath where the app keeps `core/`
 * @param {string[]} include
 */
async function typeCheckCopy(name, copies, corePath, include) {
  const app = join(ARTIFACTS, name);
  await rm(app, { recursive: true, force: true });
  for (const [from, to] of copies) {
    await cp(join(SNIPPETS, from), join(app, to), { recursive: true, filter: (source) => !/[\\/](test|example)$/.test(source) });
  }
  const compilerOptions = {
    target: 'ES2022', lib: ['ES2023', 'DOM', 'DOM.Iterable'], module: 'ESNext', moduleResolution: 'Bundler', jsx: 'react-jsx',
    strict: true, skipLibCheck: true, noEmit: true, isolatedModules: true, types: ['node'],
    paths: { '@affinity/core/*': [`./${corePath}/*`] },
  };
  await writeFile(join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions, include }, null, 2));
  await run(process.execPath, [join(SNIPPETS, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', app], { cwd: app });
}

/** @param {number} startedAt */
const secondsSince = (startedAt) => ((performance.now() - startedAt) / 1000).toFixed(1);

describe('the components on the real frameworks', () => {
  const fileStartedAt = performance.now();
  /** @type {RunningServer} */
  let server;
  /** @type {Set<string>} the demo shop's product titles */
  let titles;
  /** The demo shop's storefront key (AFFINITY_E2E_STOREFRONT_KEY with a server already running). */
  let storefrontKey = '';

  before(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    server = await startServer({ logFile: join(ARTIFACTS, 'frameworks-server.log') });
    storefrontKey = server.storefrontKey || process.env.AFFINITY_E2E_STOREFRONT_KEY || '';
    assert.ok(storefrontKey, 'a storefront key: set AFFINITY_E2E_STOREFRONT_KEY with AFFINITY_E2E_BASE_URL');
    titles = new Set((await server.query('SELECT title FROM products')).map((row) => row.title));
    assert.ok(titles.size > 0, 'the demo shop has products');
  });

  after(async () => {
    await server?.stop();
  });

  test('the Next.js example builds and its page shows cards from the server', { skip: missingChromium && `no Chromium at ${CHROMIUM}` }, async (t) => {
    const buildStartedAt = performance.now();
    // Built without Affinity's variables: the page must still be rendered per request, not prerendered.
    await run(process.execPath, [NEXT_BIN, 'build', EXAMPLE], { cwd: EXAMPLE, env: childEnv(), maxBuffer: 16 * 1024 * 1024 });
    t.diagnostic(`next build: ${secondsSince(buildStartedAt)} s`);

    const port = await freePort();
    const log = createWriteStream(join(ARTIFACTS, 'next-example.log'));
    const env = childEnv({ AFFINITY_ENDPOINT: `${server.base}/graphql`, AFFINITY_STOREFRONT_KEY: storefrontKey });
    const next = spawn(process.execPath, [NEXT_BIN, 'start', EXAMPLE, '--hostname', '127.0.0.1', '--port', String(port)], {
      cwd: EXAMPLE,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    next.stdout.pipe(log);
    next.stderr.pipe(log);
    /** @type {string | null} */
    let exited = null;
    next.on('exit', (code, signal) => {
      exited = `next start exited (${code ?? signal}); see e2e/artifacts/next-example.log`;
    });
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    try {
      const base = `http://127.0.0.1:${port}`;
      // The relay answers GET with 405 without asking Affinity: any answer means the server is up.
      await waitForListening(`${base}/api/affinity/collect`, 60_000, () => exited);
      const page = await browser.newPage();
      /** @type {Error[]} */
      const errors = [];
      page.on('pageerror', (error) => errors.push(error));
      const response = await page.goto(base);
      assert.equal(response?.status(), 200);
      assert.match(response?.headers()['cache-control'] ?? '', /no-store|private|no-cache/, 'a personalized page is not cached shared');

      const cards = page.locator('[data-affinity-product-id]');
      await cards.first().waitFor({ timeout: 15_000 });
      const shown = await page.locator('[data-affinity-product-id] h3').allTextContents();
      assert.ok(shown.length >= 1, 'at least one card');
      for (const title of shown) assert.ok(titles.has(title), `"${title}" is a product of the demo shop`);
      assert.equal(await page.getByRole('heading', { name: 'Picked for you' }).count(), 1);
      // Cards with an image show it through next/image.
      const images = page.locator('[data-affinity-product-id] img');
      for (const marker of await images.evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-nimg')))) assert.equal(marker, 'fill');
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
      if (!exited) {
        const gone = new Promise((resolve) => next.once('exit', resolve));
        next.kill('SIGTERM');
        await gone;
      }
      log.end();
    }
  });

  test('a copy of each framework folder type-checks inside an app, with core/ where the README puts it', async (t) => {
    const startedAt = performance.now();
    // Two programs (Hydrogen's globals stay in its app), checked side by side.
    await Promise.all([
      typeCheckCopy('hydrogen-app', [['hydrogen', 'app/lib/affinity/hydrogen'], ['core', 'app/lib/affinity/core']], 'app/lib/affinity/core', ['app']),
      typeCheckCopy(
        'nextjs-app',
        [['nextjs/lib/affinity', 'lib/affinity'], ['core', 'lib/affinity/core'], ['nextjs/components/affinity', 'components/affinity'], ['nextjs/app', 'app']],
        'lib/affinity/core',
        ['lib', 'components', 'app'],
      ),
    ]);
    t.diagnostic(`type-checking the copies: ${secondsSince(startedAt)} s`);
  });

  test("the Hydrogen route renders cards from the server through React Router's static handler", async (t) => {
    const startedAt = performance.now();
    const vite = await createServer({
      root: SNIPPETS,
      configFile: join(SNIPPETS, 'vite.config.ts'),
      logLevel: 'error',
      server: { middlewareMode: true, hmr: false, watch: null },
      appType: 'custom',
    });
    try {
      const route = await vite.ssrLoadModule('/hydrogen/test/home-route.tsx');
      const { status, html } = await route.renderHome(route.storefrontEnv(`${server.base}/graphql`, storefrontKey));
      assert.equal(status, 200);
      const cards = [...html.matchAll(/<span class="affinity-card__title">([^<]+)<\/span>/g)].map((match) => match[1]);
      assert.ok(cards.length >= 1, 'at least one card');
      for (const title of cards) assert.ok(titles.has(unescapeHtml(title)), `"${title}" is a product of the demo shop`);
      assert.ok(html.includes('Picked for you'));
    } finally {
      await vite.close();
    }
    t.diagnostic(`Hydrogen render: ${secondsSince(startedAt)} s; whole file so far: ${secondsSince(fileStartedAt)} s`);
  });
});

/** @param {string} text */
function unescapeHtml(text) {
  return text.replaceAll('&amp;', '&').replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&quot;', '"').replaceAll('&#x27;', "'");
}
