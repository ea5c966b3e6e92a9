/**
 * A Hydrogen home page rendered on the server as a storefront renders a document request:
 * React Router's static handler runs the route's loader with Hydrogen's `context.env`, and the
 * page renders under the real `<Analytics.Provider>`, with the deferred ranking streamed in.
 * Used by the unit test (against a local stand-in of Affinity) and the end-to-end test
 * (against the real server).
 */
import { Analytics } from '@shopify/hydrogen';
import { createStaticHandler, createStaticRouter, Outlet, StaticRouterProvider, useLoaderData } from 'react-router';
import { prerender } from 'react-dom/static';
import { affinityHeaders, loadAffinityRecommendations } from '../affinity.server';
import { AffinityAnalytics, AffinityRecommendations } from '../index';

/** The environment a Hydrogen app's server hands its routes, with Affinity's two variables. */
export function storefrontEnv(endpoint: string, storefrontKey: string): Env {
  return {
    SESSION_SECRET: 'session-secret',
    PUBLIC_STOREFRONT_API_TOKEN: 'a'.repeat(32),
    PRIVATE_STOREFRONT_API_TOKEN: 'shpat_private',
    PUBLIC_STORE_DOMAIN: 'shop.test',
    PUBLIC_STOREFRONT_ID: '1',
    PUBLIC_CUSTOMER_ACCOUNT_API_CLIENT_ID: 'client',
    PUBLIC_CUSTOMER_ACCOUNT_API_URL: 'https://shopify.com/1',
    PUBLIC_CHECKOUT_DOMAIN: 'checkout.shop.test',
    SHOP_ID: '1',
    AFFINITY_ENDPOINT: endpoint,
    AFFINITY_STOREFRONT_KEY: storefrontKey,
  };
}

/** The route's loader, written as in a storefront (`app/routes/_index.tsx`). */
function loader({ request, context }: { request: Request; context: { env: Env } }) {
  const recommendations = loadAffinityRecommendations({ request, env: context.env, placement: 'HOME', first: 4 }); // streamed, not awaited
  return { recommendations };
}

function Home() {
  const { recommendations } = useLoaderData<typeof loader>();
  return <AffinityRecommendations recommendations={recommendations} heading="Picked for you" />;
}

function Root() {
  return (
    <Analytics.Provider cart={null} shop={null} consent={{ checkoutDomain: 'checkout.shop.test', storefrontAccessToken: 'a'.repeat(32) }}>
      <main>
        <Outlet />
      </main>
      <AffinityAnalytics />
    </Analytics.Provider>
  );
}

const routes = [{ id: 'root', path: '/', Component: Root, children: [{ id: 'home', index: true, loader, Component: Home }] }];

/** The HTML of `url` once every deferred value has resolved, and the route's headers. */
export async function renderHome(env: Env, url = 'https://shop.test/'): Promise<{ status: number; html: string; headers: Headers }> {
  const handler = createStaticHandler(routes);
  const context = await handler.query(new Request(url), { requestContext: { env } });
  if (context instanceof Response) throw new Error(`the route answered ${context.status} instead of rendering`);
  const router = createStaticRouter(handler.dataRoutes, context);
  const { prelude } = await prerender(<StaticRouterProvider router={router} context={context} hydrate={false} />);
  return { status: context.statusCode, html: await new Response(prelude).text(), headers: affinityHeaders() };
}
