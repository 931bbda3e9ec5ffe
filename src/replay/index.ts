export { StreamCatalog } from './catalog.ts';
export {
  type AttributeFilter,
  attributeFilterSchema,
  decodeJob,
  encodeJob,
  isFinished,
  JOB_STATES,
  JOB_VERSION,
  type JobState,
  jobFolder,
  jobObjectName,
  matchesFilter,
  type PartitionProgress,
  type ReplayJob,
} from './job.ts';
export { JobStore, type VersionedJob } from './job-store.ts';
export { PROVENANCE, replayMessage } from './provenance.ts';
export {
  type OutgoingMessage,
  type PublisherBatching,
  pubsubPublisher,
  type ReplayPublisher,
} from './publisher.ts';
export {
  ReplayRunner,
  RUNNER_DEFAULTS,
  type RunnerTuning,
  type SliceResult,
} from './replay-runner.ts';
export { type DryRunResult, type JobView, ReplayService, viewOf } from './replay-service.ts';
export {
  MAX_RATE,
  type Position,
  positionSchema,
  type ReplayRequest,
  replayRequestSchema,
} from './request.ts';
export { createReplayRuntime, type ReplayRuntime, type ReplayStoreOpener } from './runtime.ts';
export {
  pubsubAdmin,
  type SnapshotInfo,
  type SubscriptionAdmin,
  type SubscriptionInfo,
} from './subscription-admin.ts';
export { realSleep, type Sleep, TokenBucket } from './token-bucket.ts';
