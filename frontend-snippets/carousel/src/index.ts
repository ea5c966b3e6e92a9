/**
 * Affinity's embeddable carousel: `<script type="module" src=".../affinity-carousel.js">`
 * defines `<affinity-carousel>`; the exports serve pages that track more events themselves.
 */
import { AffinityCarousel } from './element';

export { AffinityCarousel } from './element';
export { createTracker, type Tracker, type TrackerOptions } from './tracker';
export { resolveConsent } from './consent';
export { visitorIdFor } from './visitor';
export { fetchRecommendations } from '../../core/client';
export {
  CART_ATTRIBUTE,
  LINE_PROPERTY,
  attributesAsObject,
  cartAttributionFor,
  clickedRecommendationFor,
  rememberRecommendationClick,
  type CartAttribute,
  type CartAttribution,
} from '../../core/attribution';
export type * from '../../core/types';

if (typeof customElements !== 'undefined' && !customElements.get('affinity-carousel')) {
  customElements.define('affinity-carousel', AffinityCarousel);
}

declare global {
  interface HTMLElementTagNameMap {
    'affinity-carousel': AffinityCarousel;
  }
}
