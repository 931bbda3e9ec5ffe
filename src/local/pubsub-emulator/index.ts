export type { EmulatorClock } from './clock.ts';
export { createEmulatorClock } from './clock.ts';
export type { PushOptions } from './push-delivery.ts';
export type { PubSubEmulator, PubSubEmulatorOptions } from './start.ts';
export { startPubSubEmulator } from './start.ts';
