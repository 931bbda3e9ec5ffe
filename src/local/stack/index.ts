// The local stack behind `npm start`: the Pub/Sub emulator, the functions as
// supervised processes, the demo topic and push subscription, the scheduler
// timer, offset progress and the demo publisher.
export { type BannerInfo, publishCommand, renderBanner } from './banner.ts';
export {
  type DemoMessage,
  type DemoPublisher,
  demoMessage,
  startDemoPublisher,
} from './demo-publisher.ts';
export {
  functionEnv,
  type PushAuthPlan,
  pushAuthPlan,
  pushEndpoint,
  resourceNames,
  streamsDocument,
} from './function-env.ts';
export { EndTracker, formatProgress, type PartitionEnds, watchLog } from './log-progress.ts';
export {
  type PubSubMode,
  parseStackOptions,
  type StackOptions,
  type StackStorage,
  USAGE,
} from './options.ts';
export { checkPortsFree, type WantedPort } from './ports.ts';
export { ensurePushSubscription, type PushSetup } from './pubsub-setup.ts';
export { startSchedulerTimer } from './scheduler-timer.ts';
export { type RunningStack, type StackIo, startStack } from './stack.ts';
export { type FunctionSpec, type SupervisedFunction, superviseFunction } from './supervisor.ts';
