import { emulatorError, GrpcCode } from './errors.ts';
import { alreadyExists, DELETED_TOPIC, parseProjectName, parseResourceName } from './names.ts';
import { paginate } from './pagination.ts';
import { msToTimestamp, timestampToMs } from './proto-values.ts';
import type { UnaryHandler } from './rpc.ts';
import type { EmulatorState, SnapshotState } from './state.ts';
import type { FieldMask, ProtoTimestamp, SnapshotResource } from './types.ts';

const HOUR = 3_600_000;
/** Snapshots live at most 7 days, counted from the oldest unacked message they hold. */
export const SNAPSHOT_LIFETIME_MS = 7 * 24 * HOUR;

/**
 * When a snapshot taken now expires: seven days after its oldest unacked
 * message was published (Pub/Sub's "7 days minus the age of the oldest
 * unacked message"), or seven days from now when nothing is unacked.
 */
export function snapshotExpiry(oldestUnackedPublishTime: number | undefined, now: number): number {
  return (oldestUnackedPublishTime ?? now) + SNAPSHOT_LIFETIME_MS;
}

/** The snapshot RPCs of google.pubsub.v1.Subscriber, and Seek. */
export function snapshotHandlers(state: EmulatorState): Record<string, UnaryHandler<never>> {
  const find = (name: string | undefined): SnapshotState =>
    state.snapshot(parseResourceName(name, 'snapshots').name);

  return {
    CreateSnapshot(request: {
      name?: string;
      subscription?: string;
      labels?: Record<string, string>;
    }) {
      const name = parseResourceName(request.name, 'snapshots').name;
      const sub = state.subscription(parseResourceName(request.subscription, 'subscriptions').name);
      const now = state.clock.now();
      const existing = state.snapshots.get(name);
      if (existing !== undefined && existing.expireAt > now) throw alreadyExists(name);
      const topic = sub.resource.topic ?? DELETED_TOPIC;
      if (topic === DELETED_TOPIC) {
        throw emulatorError(GrpcCode.FAILED_PRECONDITION, 'The subscription has no topic.');
      }
      const messages = sub.queue.unackedMessages();
      const expireAt = snapshotExpiry(messages[0]?.publishTime, now);
      if (expireAt - now < HOUR) {
        throw emulatorError(
          GrpcCode.FAILED_PRECONDITION,
          'Subscription contains a message that would expire in less than one hour.',
        );
      }
      const snapshot: SnapshotState = {
        resource: {
          name,
          topic,
          expireTime: msToTimestamp(expireAt),
          labels: request.labels ?? {},
        },
        topic,
        seq: state.lastSeq,
        messages,
        expireAt,
      };
      state.snapshots.set(name, snapshot);
      return snapshot.resource;
    },
    GetSnapshot(request: { snapshot?: string }) {
      return find(request.snapshot).resource;
    },
    ListSnapshots(request: { project?: string; pageSize?: number; pageToken?: string }) {
      const project = parseProjectName(request.project);
      const now = state.clock.now();
      const snapshots = [...state.snapshots.values()]
        .filter((s) => s.expireAt > now && s.resource.name!.startsWith(`projects/${project}/`))
        .map((s) => s.resource)
        .sort((a, b) => a.name!.localeCompare(b.name!));
      const page = paginate(snapshots, request.pageSize, request.pageToken);
      return { snapshots: page.items, nextPageToken: page.nextPageToken };
    },
    UpdateSnapshot(request: { snapshot?: SnapshotResource; updateMask?: FieldMask }) {
      const snapshot = find(request.snapshot?.name);
      const paths = request.updateMask?.paths ?? [];
      if (paths.length === 0 || paths.some((p) => p !== 'labels')) {
        throw emulatorError(
          GrpcCode.INVALID_ARGUMENT,
          'Invalid update_mask provided in the UpdateSnapshotRequest: only labels can be updated.',
        );
      }
      snapshot.resource = { ...snapshot.resource, labels: request.snapshot?.labels ?? {} };
      return snapshot.resource;
    },
    DeleteSnapshot(request: { snapshot?: string }) {
      const snapshot = find(request.snapshot);
      state.snapshots.delete(snapshot.resource.name!);
      return {};
    },
    Seek(request: { subscription?: string; time?: ProtoTimestamp; snapshot?: string }) {
      const sub = state.subscription(parseResourceName(request.subscription, 'subscriptions').name);
      const now = state.clock.now();
      if (request.snapshot) {
        const snapshot = find(request.snapshot);
        if (snapshot.topic !== sub.resource.topic) {
          throw emulatorError(
            GrpcCode.FAILED_PRECONDITION,
            `The subscription's topic (${sub.resource.topic}) differs from the snapshot's (${snapshot.topic}).`,
          );
        }
        // Unacked at snapshot time, or published after it: unacked again. Everything else: acked.
        const keep = new Set(snapshot.messages.map((m) => m.seq));
        sub.queue.seek((m) => !keep.has(m.seq) && m.seq <= snapshot.seq, snapshot.messages, now);
      } else if (request.time) {
        const time = timestampToMs(request.time)!;
        // Topic retention lets a subscription seek back before it existed.
        const topicLog = state.topics.get(sub.resource.topic ?? '')?.log ?? [];
        const older = topicLog.filter((m) => m.publishTime >= time);
        sub.queue.seek((m) => m.publishTime < time, older, now);
      } else {
        throw emulatorError(
          GrpcCode.INVALID_ARGUMENT,
          'A seek target (time or snapshot) is required.',
        );
      }
      sub.kick();
      return {};
    },
  };
}
