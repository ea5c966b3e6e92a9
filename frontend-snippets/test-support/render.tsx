/** Rendering helpers for component tests: server HTML, and a live root in jsdom. */
import { act, type ReactNode } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { prerender } from 'react-dom/static';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

/** The HTML a server sends once every Suspense boundary has resolved. */
export async function renderToHtml(node: ReactNode): Promise<string> {
  const { prelude } = await prerender(node);
  return new Response(prelude).text();
}

export async function mount(node: ReactNode): Promise<{ container: HTMLElement; root: Root }> {
  const container = document.createElement('div');
  document.body.append(container);
  const root = createRoot(container);
  await act(async () => root.render(node));
  // Let resolved promises behind <Await> and Suspense settle.
  await act(async () => new Promise((resolve) => setTimeout(resolve, 10)));
  return { container, root };
}

export interface Beacon {
  url: string;
  events: { type: string; [key: string]: unknown }[];
}

/** Record what `navigator.sendBeacon` would send. */
export function captureBeacons(): Beacon[] {
  const beacons: Beacon[] = [];
  Object.defineProperty(navigator, 'sendBeacon', {
    configurable: true,
    value: (url: string, body: string) => {
      beacons.push({ url, events: JSON.parse(body).events });
      return true;
    },
  });
  return beacons;
}

export function leavePage(): void {
  window.dispatchEvent(new Event('pagehide'));
}
