/** Affinity's Web Pixel: Shopify's customer events, with the visitor's consent, to Affinity. */
import { register } from '@shopify/web-pixels-extension';
import { startPixel } from './pixel';

register(startPixel);
