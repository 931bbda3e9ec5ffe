export type { Logger } from './logger.ts';
export { noopLogger } from './logger.ts';
