export { Link as default } from './fake-next';
