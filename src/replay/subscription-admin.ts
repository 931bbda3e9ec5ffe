import type { PubSub } from '@google-cloud/pubsub';
import { CascadeError } from '../errors.ts';

/** A Pub/Sub snapshot as Cascade uses it. */
export interface SnapshotInfo {
  /** Full name: projects/p/snapshots/s. */
  name: string;
  topic: string;
  /** When Pub/Sub deletes it (at most 7 days after the oldest unacked message it holds). */
  expireTime: Date;
}

/** What Cascade needs to know about a subscription before seeking it. */
export interface SubscriptionInfo {
  name: string;
  topic: string;
  /** How far back Pub/Sub keeps messages for this subscription. */
  retentionMs: number;
  /** Without it, a seek to a past time only redelivers messages that were never acked. */
  retainAckedMessages: boolean;
}

/**
 * Subscription seek and snapshot management. The real one uses the official
 * client; unit tests inject their own.
 */
export interface SubscriptionAdmin {
  describe(subscription: string): Promise<SubscriptionInfo>;
  seekToTime(subscription: string, time: Date): Promise<void>;
  seekToSnapshot(subscription: string, snapshot: string): Promise<void>;
  listSnapshots(): Promise<SnapshotInfo[]>;
  createSnapshot(snapshot: string, subscription: string): Promise<SnapshotInfo>;
  deleteSnapshot(snapshot: string): Promise<void>;
}

/** Pub/Sub's default message retention when a subscription sets none: 7 days. */
const DEFAULT_RETENTION_MS = 7 * 24 * 3600 * 1000;

type Timestamp = { seconds?: unknown; nanos?: unknown } | null | undefined;

function millisOf(value: Timestamp): number | undefined {
  if (!value || value.seconds === undefined || value.seconds === null) return undefined;
  return Number(value.seconds) * 1000 + Math.floor(Number(value.nanos ?? 0) / 1e6);
}

/** Maps a gRPC failure to a CascadeError with the status it deserves. */
function wrap(error: unknown, what: string): CascadeError {
  const code = (error as { code?: unknown }).code;
  const message = `${what}: ${(error as Error).message}`;
  const details = { grpcCode: code };
  switch (code) {
    case 5:
      return new CascadeError('NOT_FOUND', message, { retryable: false, cause: error, details });
    case 6:
    case 9:
      return new CascadeError('PRECONDITION_FAILED', message, {
        retryable: false,
        cause: error,
        details,
      });
    case 3:
    case 11:
      return new CascadeError('BAD_REQUEST', message, { retryable: false, cause: error, details });
    case 7:
      return new CascadeError('PERMISSION_DENIED', message, {
        retryable: false,
        cause: error,
        details,
      });
    default:
      return new CascadeError('UNAVAILABLE', message, { retryable: true, cause: error, details });
  }
}

/**
 * A {@link SubscriptionAdmin} on the official `@google-cloud/pubsub` client.
 *
 * @example
 * const admin = pubsubAdmin(new PubSub({ projectId: 'p' }));
 * await admin.seekToTime('projects/p/subscriptions/s', new Date(Date.now() - 3_600_000));
 */
export function pubsubAdmin(pubsub: PubSub): SubscriptionAdmin {
  const call = async <T>(what: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      throw wrap(error, what);
    }
  };
  const snapshotInfo = (metadata: {
    name?: string | null;
    topic?: string | null;
    expireTime?: Timestamp;
  }): SnapshotInfo => ({
    name: metadata.name ?? '',
    topic: metadata.topic ?? '',
    expireTime: new Date(millisOf(metadata.expireTime) ?? 0),
  });
  return {
    describe: (subscription) =>
      call(`describing ${subscription}`, async () => {
        const [metadata] = await pubsub.subscription(subscription).getMetadata();
        const retention = millisOf(metadata.messageRetentionDuration as Timestamp);
        return {
          name: subscription,
          topic: metadata.topic ?? '',
          retentionMs: retention ?? DEFAULT_RETENTION_MS,
          retainAckedMessages: metadata.retainAckedMessages === true,
        };
      }),
    seekToTime: (subscription, time) =>
      call(`seeking ${subscription}`, async () => {
        await pubsub.subscription(subscription).seek(time);
      }),
    seekToSnapshot: (subscription, snapshot) =>
      call(`seeking ${subscription}`, async () => {
        await pubsub.subscription(subscription).seek(snapshot);
      }),
    listSnapshots: () =>
      call('listing snapshots', async () => {
        const [snapshots] = await pubsub.getSnapshots({ autoPaginate: true });
        return snapshots.map((s) => snapshotInfo({ ...s.metadata, name: s.name }));
      }),
    createSnapshot: (snapshot, subscription) =>
      call(`creating snapshot ${snapshot}`, async () => {
        const [, metadata] = await pubsub.subscription(subscription).createSnapshot(snapshot);
        return snapshotInfo(metadata);
      }),
    deleteSnapshot: (snapshot) =>
      call(`deleting snapshot ${snapshot}`, async () => {
        await pubsub.snapshot(snapshot).delete();
      }),
  };
}
