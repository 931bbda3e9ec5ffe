export { type CapturedEntry, type CaptureLogger, createCaptureLogger } from './capture-logger.ts';
export { type CloudLoggerOptions, createCloudLogger } from './cloud-logger.ts';
export type { Logger } from './logger.ts';
export { noopLogger } from './logger.ts';
