import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type { Logger } from '../../observability/index.ts';
import { emulatorError, GrpcCode } from './errors.ts';
import { parseProjectName, parseResourceName } from './names.ts';
import { paginate } from './pagination.ts';
import { fieldOfPath, unaryHandlers } from './rpc.ts';
import type { EmulatorState } from './state.ts';
import type { FieldMask, PubsubMessageInput, TopicResource } from './types.ts';
import { checkPublish, normalizeTopic } from './validation.ts';

interface TopicRequest {
  topic?: string;
}
interface ListRequest {
  pageSize?: number;
  pageToken?: string;
}

// Fields UpdateTopic may change; the rest are immutable or output only.
const UPDATABLE_TOPIC_FIELDS = new Set([
  'labels',
  'messageStoragePolicy',
  'kmsKeyName',
  'schemaSettings',
  'messageRetentionDuration',
  'ingestionDataSourceSettings',
  'messageTransforms',
]);

/** google.pubsub.v1.Publisher over the emulator's state. */
export function publisherService(
  state: EmulatorState,
  logger: Logger,
): UntypedServiceImplementation {
  return unaryHandlers(
    {
      CreateTopic(topic: TopicResource) {
        return state.createTopic(normalizeTopic(topic)).resource;
      },
      UpdateTopic(request: { topic?: TopicResource; updateMask?: FieldMask }) {
        const name = parseResourceName(request.topic?.name, 'topics').name;
        const paths = request.updateMask?.paths ?? [];
        if (paths.length === 0) {
          throw emulatorError(
            GrpcCode.INVALID_ARGUMENT,
            'The update_mask in the UpdateTopicRequest must be set.',
          );
        }
        const topic = state.topic(name);
        const next: TopicResource = { ...topic.resource };
        for (const path of paths) {
          const field = fieldOfPath(path);
          if (!UPDATABLE_TOPIC_FIELDS.has(field)) {
            throw emulatorError(
              GrpcCode.INVALID_ARGUMENT,
              `Invalid update_mask provided in the UpdateTopicRequest: the '${path}' field cannot be updated.`,
            );
          }
          const value = request.topic?.[field];
          if (value === undefined || value === null) delete next[field];
          else next[field] = value;
        }
        topic.resource = normalizeTopic(next);
        for (const subName of topic.subscriptions) {
          const sub = state.subscriptions.get(subName);
          if (sub === undefined) continue;
          sub.resource = {
            ...sub.resource,
            topicMessageRetentionDuration: topic.resource.messageRetentionDuration ?? null,
          };
        }
        return topic.resource;
      },
      Publish(request: { topic?: string; messages?: PubsubMessageInput[] }) {
        const name = parseResourceName(request.topic, 'topics').name;
        const messages = checkPublish(request.messages);
        return { messageIds: state.publish(name, messages) };
      },
      GetTopic(request: TopicRequest) {
        return state.topic(parseResourceName(request.topic, 'topics').name).resource;
      },
      ListTopics(request: ListRequest & { project?: string }) {
        const project = parseProjectName(request.project);
        const topics = [...state.topics.values()]
          .filter((t) => t.resource.name!.startsWith(`projects/${project}/`))
          .map((t) => t.resource)
          .sort((a, b) => a.name!.localeCompare(b.name!));
        const page = paginate(topics, request.pageSize, request.pageToken);
        return { topics: page.items, nextPageToken: page.nextPageToken };
      },
      ListTopicSubscriptions(request: ListRequest & TopicRequest) {
        const topic = state.topic(parseResourceName(request.topic, 'topics').name);
        const names = [...topic.subscriptions].sort();
        const page = paginate(names, request.pageSize, request.pageToken);
        return { subscriptions: page.items, nextPageToken: page.nextPageToken };
      },
      ListTopicSnapshots(request: ListRequest & TopicRequest) {
        const name = parseResourceName(request.topic, 'topics').name;
        state.topic(name);
        const now = state.clock.now();
        const names = [...state.snapshots.values()]
          .filter((s) => s.topic === name && s.expireAt > now)
          .map((s) => s.resource.name!)
          .sort();
        const page = paginate(names, request.pageSize, request.pageToken);
        return { snapshots: page.items, nextPageToken: page.nextPageToken };
      },
      DeleteTopic(request: TopicRequest) {
        state.deleteTopic(parseResourceName(request.topic, 'topics').name);
        return {};
      },
      DetachSubscription(request: { subscription?: string }) {
        state.detachSubscription(parseResourceName(request.subscription, 'subscriptions').name);
        return {};
      },
    },
    logger,
  );
}
