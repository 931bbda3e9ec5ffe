import { type ServerDuplexStream, status } from '@grpc/grpc-js';
import type { Logger } from '../../observability/index.ts';
import { emulatorError, GrpcCode, toGrpcStatus } from './errors.ts';
import { parseResourceName } from './names.ts';
import { toReceivedMessage } from './proto-values.ts';
import { assertAttached, type EmulatorState } from './state.ts';
import { checkAckDeadline, checkAckIds } from './subscriber-service.ts';
import type { Consumer, EmulatedSubscription } from './subscription.ts';
import type { Lease } from './types.ts';
import { Limits } from './validation.ts';

/** google.pubsub.v1.StreamingPullRequest, as far as the emulator reads it. */
interface StreamingPullRequest {
  subscription?: string;
  ackIds?: string[];
  modifyDeadlineSeconds?: number[];
  modifyDeadlineAckIds?: string[];
  streamAckDeadlineSeconds?: number;
  clientId?: string;
  maxOutstandingMessages?: string | number;
  maxOutstandingBytes?: string | number;
  protocolVersion?: string | number;
}

// What the real service applies when a client asks for no flow control (0).
const DEFAULT_MAX_MESSAGES = 1000;
const DEFAULT_MAX_BYTES = 100 * 1024 * 1024;

/**
 * One StreamingPull stream as a consumer of its subscription: it leases up to
 * the client's max_outstanding_messages/bytes, writes ReceivedMessages as
 * responses, and stops taking while gRPC reports backpressure.
 */
class StreamConsumer implements Consumer {
  outstandingMessages = 0;
  outstandingBytes = 0;
  readonly perKeyLimit = Number.POSITIVE_INFINITY;
  ackDeadlineSeconds: number;
  /** Clients speaking protocol_version >= 1 expect an answer to their keepalives. */
  readonly heartbeats: boolean;
  private readonly maxMessages: number;
  private readonly maxBytes: number;
  private blocked = false;
  private closed = false;
  private readonly call: ServerDuplexStream<StreamingPullRequest, unknown>;
  private readonly sub: EmulatedSubscription;

  constructor(
    call: ServerDuplexStream<StreamingPullRequest, unknown>,
    sub: EmulatedSubscription,
    first: StreamingPullRequest,
  ) {
    this.call = call;
    this.sub = sub;
    this.ackDeadlineSeconds = first.streamAckDeadlineSeconds!;
    this.heartbeats = Number(first.protocolVersion ?? 0) >= 1;
    this.maxMessages = Number(first.maxOutstandingMessages ?? 0) || DEFAULT_MAX_MESSAGES;
    this.maxBytes = Number(first.maxOutstandingBytes ?? 0) || DEFAULT_MAX_BYTES;
  }

  capacity(): { messages: number; bytes: number } {
    if (this.blocked || this.closed) return { messages: 0, bytes: 0 };
    return {
      messages: this.maxMessages - this.outstandingMessages,
      bytes: this.maxBytes - this.outstandingBytes,
    };
  }

  ackDeadlineMs(): number {
    return this.ackDeadlineSeconds * 1000;
  }

  deliver(leases: Lease[]): void {
    const withAttempt = Boolean(this.sub.resource.deadLetterPolicy?.deadLetterTopic);
    this.send({
      receivedMessages: leases.map((lease) => toReceivedMessage(lease, withAttempt)),
      subscriptionProperties: {
        exactlyOnceDeliveryEnabled: this.sub.resource.enableExactlyOnceDelivery === true,
        messageOrderingEnabled: this.sub.resource.enableMessageOrdering === true,
      },
    });
  }

  /** Answers a client keepalive (protocol_version >= 1) with an empty response. */
  heartbeat(): void {
    this.send({});
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.call.emit('error', {
      code: status.NOT_FOUND,
      details: `Resource not found (resource=${this.sub.name}).`,
    });
  }

  detach(): void {
    this.closed = true;
    this.sub.consumers.delete(this);
  }

  private send(response: Record<string, unknown>): void {
    if (this.closed) return;
    const ok = this.call.write(response);
    if (!ok && !this.blocked) {
      this.blocked = true;
      this.call.once('drain', () => {
        this.blocked = false;
        this.sub.kick();
      });
    }
  }
}

function checkFirst(request: StreamingPullRequest): void {
  const deadline = request.streamAckDeadlineSeconds ?? 0;
  if (deadline < Limits.minAckDeadlineSeconds || deadline > Limits.maxAckDeadlineSeconds) {
    throw emulatorError(
      GrpcCode.INVALID_ARGUMENT,
      `Invalid stream ack deadline: ${deadline}. It must be between 10 and 600 seconds.`,
    );
  }
}

/** google.pubsub.v1.Subscriber.StreamingPull. */
export function streamingPullHandler(state: EmulatorState, logger: Logger) {
  return (call: ServerDuplexStream<StreamingPullRequest, unknown>): void => {
    let consumer: StreamConsumer | undefined;
    let sub: EmulatedSubscription | undefined;
    const fail = (error: unknown): void => {
      consumer?.detach();
      const grpcStatus = toGrpcStatus(error);
      logger.debug({ code: grpcStatus.code, reason: grpcStatus.details }, 'streaming pull refused');
      call.emit('error', grpcStatus);
    };

    call.on('data', (request: StreamingPullRequest) => {
      try {
        if (sub === undefined) {
          const name = parseResourceName(request.subscription, 'subscriptions').name;
          sub = state.subscription(name);
          assertAttached(sub);
          checkFirst(request);
          consumer = new StreamConsumer(call, sub, request);
          sub.consumers.add(consumer);
        } else if (request.streamAckDeadlineSeconds) {
          checkFirst(request);
          consumer!.ackDeadlineSeconds = request.streamAckDeadlineSeconds;
        }
        handleAcks(sub, request, state.clock.now());
        const empty =
          !request.subscription &&
          !request.ackIds?.length &&
          !request.modifyDeadlineAckIds?.length &&
          !request.streamAckDeadlineSeconds;
        if (empty && consumer!.heartbeats) consumer!.heartbeat();
        sub.kick();
      } catch (error) {
        fail(error);
      }
    });
    const finish = (): void => {
      consumer?.detach();
      sub?.kick();
    };
    call.on('end', () => {
      finish();
      call.end();
    });
    call.on('cancelled', finish);
    call.on('close', finish);
  };
}

function handleAcks(sub: EmulatedSubscription, request: StreamingPullRequest, now: number): void {
  if (request.ackIds?.length) for (const id of checkAckIds(request.ackIds)) sub.queue.ack(id);
  const modIds = request.modifyDeadlineAckIds ?? [];
  const seconds = request.modifyDeadlineSeconds ?? [];
  if (modIds.length !== seconds.length) {
    throw emulatorError(
      GrpcCode.INVALID_ARGUMENT,
      'modify_deadline_seconds and modify_deadline_ack_ids must be the same length.',
    );
  }
  if (modIds.length > 0) checkAckIds(modIds);
  modIds.forEach((id, i) => {
    sub.queue.modifyDeadline(id, checkAckDeadline(seconds[i]), now);
  });
}
