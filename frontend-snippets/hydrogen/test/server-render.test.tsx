// @vitest-environment node
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MemoryRouter } from 'react-router';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { renderToHtml } from '../../test-support/render';
import { ranking, sentRanking, type SentRanking } from '../../test-support/ranking';
import { AffinityRecommendations } from '../index';
import { renderHome, storefrontEnv } from './home-route';

describe('<AffinityRecommendations> on the server', () => {
  it('streams deferred recommendations in as product links', async () => {
    const html = await renderToHtml(
      <MemoryRouter>
        <AffinityRecommendations recommendations={Promise.resolve(ranking)} heading="For you" />
      </MemoryRouter>,
    );
    expect(html).toContain('For you');
    expect(html).toContain('href="/products/heart-holder"');
    expect(html).toContain('Heart Holder');
    expect(html).toContain('£2.55');
    expect(html).toContain('Because you viewed the Lantern');
  });
});

describe("a Hydrogen route through React Router's static handler", () => {
  /** Affinity's GraphQL endpoint over real HTTP, answering with `ranking`. */
  const received: SentRanking[] = [];
  const affinity = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const headers = new Headers(Object.entries(request.headers).map(([name, value]): [string, string] => [name, String(value)]));
      received.push(sentRanking(request.url ?? '', request.method ?? '', headers, body ? JSON.parse(body) : null));
      response.writeHead(200, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify({ data: { recommendations: ranking } }));
    });
  });
  let endpoint = '';
  beforeAll(async () => {
    await new Promise<void>((resolve) => affinity.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(affinity.address() as AddressInfo).port}/graphql`;
  });
  afterAll(() => new Promise<void>((resolve) => affinity.close(() => resolve())));

  it("renders the loader's ranking as cards under the real <Analytics.Provider>", async () => {
    const { status, html, headers } = await renderHome(storefrontEnv(endpoint, 'pk_storefront'));
    expect(status).toBe(200);
    expect(html).toContain('Picked for you');
    expect(html.match(/class="affinity-card"/g)).toHaveLength(ranking.items.length);
    expect(html).toContain('href="/products/heart-holder"');
    expect(html).toContain('Metal Lantern');
    expect(received.at(-1)?.method).toBe('GET'); // no visitor: the shared ranking
    expect(received.at(-1)?.key).toBe('pk_storefront');
    expect(received.at(-1)?.variables).toEqual({ placement: 'HOME', first: 4 });
    expect(headers.get('Cache-Control')).toBe('private, no-store');
  });

  it('renders the page without recommendations when Affinity is unreachable', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const { status, html } = await renderHome(storefrontEnv('http://127.0.0.1:9/graphql', 'pk_storefront'));
    expect(status).toBe(200);
    expect(html).toContain('<main>');
    expect(html).not.toContain('affinity-card');
    expect(logged).toHaveBeenCalledWith('Affinity recommendations unavailable', expect.anything());
  });
});
