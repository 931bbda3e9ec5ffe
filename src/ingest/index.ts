export { decodeBase64Strict } from './base64.ts';
export { type ParsedEvent, PUBSUB_EVENT_TYPE, parsePubsubCloudEvent } from './cloud-event.ts';
export { type ErrorBody, errorResponse } from './http-error.ts';
export { Ingestor, type IngestorOptions } from './ingestor.ts';
export { openConfiguredStore } from './open-store.ts';
export { parsePublishTime } from './publish-time.ts';
export {
  authorizePush,
  createPushVerifier,
  type PushClaims,
  type PushVerifier,
  type PushVerifierOptions,
} from './push-auth.ts';
export { parsePushRequest } from './push-envelope.ts';
export {
  QUARANTINE_FORMAT_VERSION,
  type QuarantineRecord,
  quarantineMessage,
  quarantineObjectName,
  quarantinePrefix,
} from './quarantine.ts';
export {
  createIngestRuntime,
  type IngestRuntime,
  type IngestRuntimeOptions,
  type StoreOpener,
} from './runtime.ts';
export { checkStreamRules } from './stream-rules.ts';
export type {
  AppendOutcome,
  AppendTarget,
  CloudEventLike,
  IngestMessage,
  IngestResult,
  PushRequest,
  PushResponse,
} from './types.ts';
