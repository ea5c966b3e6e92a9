export { Image as default } from './fake-next';
