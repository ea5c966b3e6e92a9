/**
 * A stand-in for `next/headers`, the one part of Next.js that cannot run in a unit test: the real
 * `cookies()` reads the request scope Next.js sets up while it renders a route, and throws
 * outside one. `next/link` and `next/image` are the real ones; the example app's end-to-end
 * test (e2e/frameworks.test.mjs) runs the real `cookies()` under `next start`.
 */
export const cookieJar = new Map<string, string>();

export async function cookies() {
  return {
    get: (name: string) => (cookieJar.has(name) ? { name, value: cookieJar.get(name) as string } : undefined),
    has: (name: string) => cookieJar.has(name),
  };
}
