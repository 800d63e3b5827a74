export { handlers } from './handlers.ts';
export { contracts } from '@warren/example-contracts';
