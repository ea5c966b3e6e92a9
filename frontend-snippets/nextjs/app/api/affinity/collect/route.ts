import { forwardEvents } from '@affinity/core/server';
import { affinityConfig } from '../../../../lib/affinity';

/**
 * Relays the browser's events to Affinity, adding the storefront key on the server; a raw
 * `customerId` in them is dropped, a `customerToken` goes through.
 */
export async function POST(request: Request): Promise<Response> {
  const config = affinityConfig();
  if (!config) return new Response(null, { status: 204 });
  return forwardEvents(request, config);
}
