// Cascade's local Pub/Sub emulator: the google.pubsub.v1 Publisher and
// Subscriber gRPC services, faithful enough that the official client cannot
// tell it from the real service for what Cascade does, plus push delivery
// with locally signed OIDC tokens. Start it with `startPubSubEmulator()` or
// `npm run emulator:pubsub`.
//
// Supported: topic and subscription CRUD (UpdateTopic/UpdateSubscription with
// field masks, paging), Publish (ids, publish time, ordering keys, limits),
// topic retention; Pull, StreamingPull (flow control, acks and modacks on the
// stream or unary, keepalives), Acknowledge, ModifyAckDeadline, ack deadlines,
// retry-policy backoff, dead-letter topics with delivery attempts, ordering
// keys, filters, retain_acked_messages and message retention; push (wrapped
// and unwrapped, OIDC); snapshots and Seek to a time or a snapshot;
// DetachSubscription.
// Not supported: exactly-once delivery semantics (the flag is stored and
// reported only), subscription expiration (ttl is stored, never enforced),
// schemas (SchemaService is UNIMPLEMENTED and schema settings are not
// enforced), IAM methods, BigQuery/Cloud Storage/Bigtable subscriptions
// (stored, never delivered), the v1beta1 push format (`x-goog-version`), and
// message transforms.
export type { EmulatorClock } from './clock.ts';
export { createEmulatorClock } from './clock.ts';
export { GOOGLE_ISSUER } from './oidc-signer.ts';
export type { PushOptions } from './push-delivery.ts';
export type { PubSubEmulator, PubSubEmulatorOptions } from './start.ts';
export { startPubSubEmulator } from './start.ts';
