import type { Logger } from '../../observability/index.ts';
import { emulatorError, GrpcCode } from './errors.ts';
import { parseProjectName, parseResourceName } from './names.ts';
import { paginate } from './pagination.ts';
import { toReceivedMessage } from './proto-values.ts';
import { fieldOfPath, type UnaryHandler } from './rpc.ts';
import { assertAttached, type EmulatorState } from './state.ts';
import type { EmulatedSubscription } from './subscription.ts';
import type { FieldMask, PushConfigResource, SubscriptionResource } from './types.ts';
import { checkPushEndpoint, Limits, normalizeSubscription } from './validation.ts';

interface SubscriptionRequest {
  subscription?: string;
}

// Fields UpdateSubscription may change. Ordering, filter and topic are fixed
// at creation in the real service.
const UPDATABLE_SUBSCRIPTION_FIELDS = new Set([
  'ackDeadlineSeconds',
  'pushConfig',
  'bigqueryConfig',
  'cloudStorageConfig',
  'retainAckedMessages',
  'messageRetentionDuration',
  'labels',
  'expirationPolicy',
  'deadLetterPolicy',
  'retryPolicy',
  'enableExactlyOnceDelivery',
  'detached',
]);

/** How long a Pull without return_immediately waits for messages before answering empty. */
const PULL_WAIT_MS = 2_000;

/** Most messages one Pull response carries. */
const MAX_PULL_MESSAGES = 1000;

const ACK_ID = /^[0-9a-f]{12}-[0-9]+$/;

/** Ack ids from a request, refusing an empty list or malformed ids as the real service does. */
export function checkAckIds(ackIds: string[] | undefined): string[] {
  if (!ackIds || ackIds.length === 0) {
    throw emulatorError(GrpcCode.INVALID_ARGUMENT, 'No ack ids specified.');
  }
  for (const id of ackIds) {
    if (!ACK_ID.test(id)) throw emulatorError(GrpcCode.INVALID_ARGUMENT, `Invalid ack ID: ${id}`);
  }
  return ackIds;
}

/** Checks a modify-ack-deadline value (0 nacks; at most 600 seconds). */
export function checkAckDeadline(seconds: number | undefined): number {
  const value = seconds ?? 0;
  if (!Number.isInteger(value) || value < 0 || value > Limits.maxAckDeadlineSeconds) {
    throw emulatorError(
      GrpcCode.INVALID_ARGUMENT,
      `Invalid ack deadline given: ${value}. It must be between 0 and 600 seconds.`,
    );
  }
  return value;
}

/** The unary RPCs of google.pubsub.v1.Subscriber that manage subscriptions and pull. */
export function subscriptionHandlers(
  state: EmulatorState,
  _logger: Logger,
): Record<string, UnaryHandler<never>> {
  const find = (name: string | undefined): EmulatedSubscription =>
    state.subscription(parseResourceName(name, 'subscriptions').name);

  return {
    CreateSubscription(resource: SubscriptionResource) {
      const normalized = normalizeSubscription(resource);
      parseResourceName(resource.topic, 'topics');
      return state.createSubscription(normalized).resource;
    },
    GetSubscription(request: SubscriptionRequest) {
      return find(request.subscription).resource;
    },
    UpdateSubscription(request: { subscription?: SubscriptionResource; updateMask?: FieldMask }) {
      const sub = find(request.subscription?.name);
      const paths = request.updateMask?.paths ?? [];
      if (paths.length === 0) {
        throw emulatorError(
          GrpcCode.INVALID_ARGUMENT,
          'The update_mask in the UpdateSubscriptionRequest must be set.',
        );
      }
      const next: SubscriptionResource = { ...sub.resource };
      for (const path of paths) {
        const field = fieldOfPath(path);
        if (!UPDATABLE_SUBSCRIPTION_FIELDS.has(field)) {
          throw emulatorError(
            GrpcCode.INVALID_ARGUMENT,
            `Invalid update_mask provided in the UpdateSubscriptionRequest: the '${path}' field cannot be updated.`,
          );
        }
        const value = request.subscription?.[field];
        if (value === undefined || value === null) delete next[field];
        else next[field] = value;
      }
      state.updateSubscription(sub, normalizeSubscription(next));
      return sub.resource;
    },
    ListSubscriptions(request: { project?: string; pageSize?: number; pageToken?: string }) {
      const project = parseProjectName(request.project);
      const subs = [...state.subscriptions.values()]
        .filter((s) => s.name.startsWith(`projects/${project}/`))
        .map((s) => s.resource)
        .sort((a, b) => a.name!.localeCompare(b.name!));
      const page = paginate(subs, request.pageSize, request.pageToken);
      return { subscriptions: page.items, nextPageToken: page.nextPageToken };
    },
    DeleteSubscription(request: SubscriptionRequest) {
      state.deleteSubscription(parseResourceName(request.subscription, 'subscriptions').name);
      return {};
    },
    ModifyPushConfig(request: SubscriptionRequest & { pushConfig?: PushConfigResource }) {
      const sub = find(request.subscription);
      const endpoint = request.pushConfig?.pushEndpoint;
      if (endpoint) checkPushEndpoint(endpoint);
      state.updateSubscription(sub, { ...sub.resource, pushConfig: request.pushConfig ?? {} });
      return {};
    },
    async Pull(
      request: SubscriptionRequest & { maxMessages?: number; returnImmediately?: boolean },
    ) {
      const sub = find(request.subscription);
      assertAttached(sub);
      const max = request.maxMessages ?? 0;
      if (max <= 0) {
        throw emulatorError(GrpcCode.INVALID_ARGUMENT, 'max_messages must be a positive integer.');
      }
      const take = () =>
        sub.queue.take({
          // The real service returns at most 1000 messages per Pull, whatever is asked.
          maxMessages: Math.min(max, MAX_PULL_MESSAGES),
          maxBytes: Number.POSITIVE_INFINITY,
          ackDeadlineMs: (sub.resource.ackDeadlineSeconds ?? 10) * 1000,
          holder: undefined,
          perKeyLimit: Number.POSITIVE_INFINITY,
          now: state.clock.now(),
        });
      let leases = take();
      if (leases.length === 0 && !request.returnImmediately) {
        await sub.waitForMessages(PULL_WAIT_MS);
        leases = sub.isClosed ? [] : take();
      }
      const withAttempt = Boolean(sub.resource.deadLetterPolicy?.deadLetterTopic);
      return { receivedMessages: leases.map((lease) => toReceivedMessage(lease, withAttempt)) };
    },
    Acknowledge(request: SubscriptionRequest & { ackIds?: string[] }) {
      const sub = find(request.subscription);
      for (const id of checkAckIds(request.ackIds)) sub.queue.ack(id);
      sub.kick();
      return {};
    },
    ModifyAckDeadline(
      request: SubscriptionRequest & { ackIds?: string[]; ackDeadlineSeconds?: number },
    ) {
      const sub = find(request.subscription);
      const seconds = checkAckDeadline(request.ackDeadlineSeconds);
      const now = state.clock.now();
      for (const id of checkAckIds(request.ackIds)) sub.queue.modifyDeadline(id, seconds, now);
      if (seconds === 0) sub.kick();
      return {};
    },
  };
}
