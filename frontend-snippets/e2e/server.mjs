// @ts-check
/**
 * Runs the real Affinity server for the browser tests: a fresh SQLite database and data
 * directory, the demo shop, and `affinity serve` on a free port in demo mode (which serves
 * the demo storefront).
 */
import { execFile, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');
const VENV_BIN = process.env.AFFINITY_VENV_BIN ?? join(REPO_ROOT, '.venv', 'bin');

/** @returns {Promise<number>} */
export function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolvePort(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * @param {string} url
 * @param {number} timeoutMs
 * @param {() => string | null} failure reports why waiting is pointless (the server exited)
 */
async function waitForHealth(url, timeoutMs, failure) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const reason = failure();
    if (reason) throw new Error(reason);
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not answer within ${timeoutMs / 1000}s`);
}

/**
 * @typedef {{ base: string, storefrontKey: string, dir: string, databasePath: string,
 *   customerId: string | null, customerToken: string | null,
 *   query: (sql: string, ...params: unknown[]) => Promise<any[]>, stop: () => Promise<void> }} RunningServer
 */

/**
 * What `affinity demo` printed: one JSON object per line, merged.
 * @param {string} stdout
 * @returns {Record<string, unknown>}
 */
export function demoReport(stdout) {
  return Object.assign(
    {},
    ...stdout.split('\n').flatMap((line) => {
      try {
        const parsed = JSON.parse(line);
        return parsed && typeof parsed === 'object' ? [parsed] : [];
      } catch {
        return [];
      }
    }),
  );
}

/** @param {unknown} value */
const textOrNull = (value) => (typeof value === 'number' ? String(value) : typeof value === 'string' && value ? value : null);

/**
 * @param {string} databasePath
 * @param {string} sql
 * @param {unknown[]} params
 */
async function querySqlite(databasePath, sql, params) {
  const script = 'import json,sqlite3,sys\nc=sqlite3.connect(sys.argv[1]);c.row_factory=sqlite3.Row\nprint(json.dumps([dict(r) for r in c.execute(sys.argv[2],json.loads(sys.argv[3]))]))';
  const { stdout } = await run(join(VENV_BIN, 'python'), ['-c', script, databasePath, sql, JSON.stringify(params)]);
  return JSON.parse(stdout);
}

/**
 * While working on the tests: use a server already running at AFFINITY_E2E_BASE_URL, whose
 * SQLite database is AFFINITY_E2E_DATABASE, instead of starting one (the demo customer's id
 * and token, as `affinity demo` printed them: AFFINITY_E2E_CUSTOMER_ID, AFFINITY_E2E_CUSTOMER_TOKEN).
 * @returns {RunningServer | null}
 */
function runningServer() {
  const base = process.env.AFFINITY_E2E_BASE_URL;
  const databasePath = process.env.AFFINITY_E2E_DATABASE;
  if (!base || !databasePath) return null;
  return {
    base,
    storefrontKey: '',
    dir: '',
    databasePath,
    customerId: textOrNull(process.env.AFFINITY_E2E_CUSTOMER_ID),
    customerToken: textOrNull(process.env.AFFINITY_E2E_CUSTOMER_TOKEN),
    query: (sql, ...params) => querySqlite(databasePath, sql, params),
    stop: async () => undefined,
  };
}

/**
 * @param {{ logFile: string }} options
 * @returns {Promise<RunningServer>}
 */
export async function startServer({ logFile }) {
  const existing = runningServer();
  if (existing) return existing;
  const dir = await mkdtemp(join(tmpdir(), 'affinity-e2e-'));
  const databasePath = join(dir, 'affinity.db');
  const env = {
    ...process.env,
    AFFINITY_DATABASE_URL: `sqlite+aiosqlite:///${databasePath}`,
    AFFINITY_DATA_DIR: join(dir, 'data'),
    AFFINITY_DEMO_MODE: 'true',
  };
  const affinity = join(VENV_BIN, 'affinity');
  const options = { env, cwd: REPO_ROOT, maxBuffer: 64 * 1024 * 1024 };
  await run(affinity, ['migrate'], options);
  const { stdout } = await run(affinity, ['demo'], options);
  const report = demoReport(stdout);
  const storefrontKey = textOrNull(report.storefront_key);
  if (!storefrontKey) throw new Error(`affinity demo printed no storefront_key:\n${stdout}`);

  const port = await freePort();
  const log = createWriteStream(logFile);
  const server = spawn(affinity, ['serve', '--host', '127.0.0.1', '--port', String(port)], { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  server.stdout.pipe(log);
  server.stderr.pipe(log);
  /** @type {string | null} */
  let exited = null;
  server.on('exit', (code, signal) => {
    exited = `affinity serve exited (${code ?? signal}); see ${logFile}`;
  });
  const base = `http://127.0.0.1:${port}`;
  await waitForHealth(`${base}/health`, 90_000, () => exited);

  return {
    base,
    storefrontKey,
    dir,
    databasePath,
    /** The demo shop's customer, and a token its server would mint for them. */
    customerId: textOrNull(report.customer_id),
    customerToken: textOrNull(report.customer_token),
    /** Query the server's SQLite database with Python's sqlite3 (no native node module needed). */
    query: (sql, ...params) => querySqlite(databasePath, sql, params),
    async stop() {
      if (exited) return;
      const gone = new Promise((r) => server.once('exit', r));
      server.kill('SIGTERM');
      const timer = setTimeout(() => server.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(timer);
      log.end();
    },
  };
}
