// Copy the built carousel next to the demo storefront, which the Python server serves as is.
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
copyFileSync(join(root, 'carousel/dist/affinity-carousel.js'), join(root, '../app/demo_storefront/static/affinity-carousel.js'));
