// The event relay, which a shop copies to app/api/affinity/collect/route.ts.
export { POST } from '../../../../../app/api/affinity/collect/route';
