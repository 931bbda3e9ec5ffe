import type { StreamConfig } from '../config/index.ts';
import { CascadeError } from '../errors.ts';
import type { Logger } from '../observability/index.ts';
import { noopLogger } from '../observability/index.ts';
import type { ObjectStore } from '../storage/index.ts';
import { parsePubsubCloudEvent } from './cloud-event.ts';
import { errorResponse } from './http-error.ts';
import { authorizePush, type PushClaims, type PushVerifier } from './push-auth.ts';
import { parsePushRequest } from './push-envelope.ts';
import { quarantineMessage } from './quarantine.ts';
import { checkStreamRules } from './stream-rules.ts';
import type {
  AppendTarget,
  CloudEventLike,
  IngestMessage,
  IngestResult,
  PushRequest,
  PushResponse,
} from './types.ts';

export interface IngestorOptions {
  streams: StreamConfig[];
  store: ObjectStore;
  /** One writer per stream, created once (the real one is the log's StreamWriter). */
  createWriter: (stream: StreamConfig) => AppendTarget;
  /** Verifies push tokens; omit to accept unauthenticated pushes (CASCADE_PUSH_AUTH=off). */
  verifier?: PushVerifier;
  /** Larger bodies are refused before parsing. */
  maxRequestBytes?: number;
  logger?: Logger;
  clock?: () => number;
}

/**
 * The ingest path, independent of any HTTP framework: authenticate, parse,
 * route by subscription, apply the stream's rules (quarantining what breaks
 * them), append to the stream's log, and say what happened. The push
 * handler answers 2xx only once the message is durable or a proven
 * duplicate.
 *
 * @example
 * const ingestor = new Ingestor({ streams, store, createWriter: (s) => new StreamWriter({ store, stream: s }) });
 * const { status, body } = await ingestor.handlePush({ headers, body: rawBody, query });
 */
export class Ingestor {
  readonly #bySubscription = new Map<string, StreamConfig>();
  readonly #byTopic = new Map<string, StreamConfig>();
  readonly #writers = new Map<string, AppendTarget>();
  readonly #options: IngestorOptions;
  readonly #logger: Logger;
  readonly #clock: () => number;

  constructor(options: IngestorOptions) {
    this.#options = options;
    this.#logger = options.logger ?? noopLogger;
    this.#clock = options.clock ?? Date.now;
    for (const stream of options.streams) {
      this.#bySubscription.set(stream.subscription, stream);
      if (stream.topic !== undefined) this.#byTopic.set(stream.topic, stream);
    }
  }

  /** Handles one push request and returns the status and JSON body to answer with. */
  async handlePush(request: PushRequest): Promise<PushResponse> {
    let stream: StreamConfig | undefined;
    let message: IngestMessage | undefined;
    try {
      const max = this.#options.maxRequestBytes;
      if (max !== undefined && request.body.byteLength > max) {
        throw new CascadeError('BAD_REQUEST', `request body is over ${max} bytes`, {
          retryable: false,
          details: { bytes: request.body.byteLength, limit: max },
        });
      }
      let claims: PushClaims | undefined;
      if (this.#options.verifier) {
        const authorization = request.headers.authorization;
        claims = await this.#options.verifier.verify(
          Array.isArray(authorization) ? authorization[0] : authorization,
        );
      }
      message = parsePushRequest(request, this.#clock);
      stream = this.#route(message.subscription, undefined);
      if (claims) {
        if (!stream.pushAuth) {
          throw new CascadeError(
            'PERMISSION_DENIED',
            `stream ${stream.name} has no push identity configured`,
            {
              retryable: false,
            },
          );
        }
        authorizePush(claims, stream.pushAuth, stream.name);
      }
      const result = await this.#ingest(stream, message);
      return { status: 200, body: result };
    } catch (error) {
      this.#logFailure(error, stream, message);
      return errorResponse(error);
    }
  }

  /**
   * Handles one Eventarc CloudEvent. Resolves when the message is stored or
   * quarantined (or when the event can never be stored and was logged);
   * rejects with a retryable error so Eventarc retries.
   */
  async handleEvent(
    event: CloudEventLike,
  ): Promise<IngestResult | { kind: 'dropped'; reason: string }> {
    let stream: StreamConfig | undefined;
    let message: IngestMessage | undefined;
    try {
      const parsed = parsePubsubCloudEvent(event);
      message = parsed.message;
      stream = this.#route(message.subscription, parsed.topic);
      return await this.#ingest(stream, message);
    } catch (error) {
      this.#logFailure(error, stream, message);
      if (error instanceof CascadeError && error.code === 'BAD_REQUEST') {
        // Retrying cannot fix a malformed event; it is logged (without payload) and acknowledged.
        return { kind: 'dropped', reason: error.message };
      }
      throw error;
    }
  }

  /** Flushes and closes every stream writer. */
  async close(): Promise<void> {
    const writers = [...this.#writers.values()];
    this.#writers.clear();
    await Promise.all(writers.map((writer) => writer.close()));
  }

  #route(subscription: string, topic: string | undefined): StreamConfig {
    const stream =
      this.#bySubscription.get(subscription) ??
      (topic === undefined ? undefined : this.#byTopic.get(topic));
    if (stream === undefined) {
      throw new CascadeError('NOT_FOUND', 'no stream is configured for this subscription', {
        retryable: false,
        details: { subscription: subscription.slice(0, 300) },
      });
    }
    return stream;
  }

  #writer(stream: StreamConfig): AppendTarget {
    let writer = this.#writers.get(stream.name);
    if (writer === undefined) {
      writer = this.#options.createWriter(stream);
      this.#writers.set(stream.name, writer);
    }
    return writer;
  }

  async #ingest(stream: StreamConfig, message: IngestMessage): Promise<IngestResult> {
    const broken = checkStreamRules(message, stream.rules);
    if (broken !== null) return this.#quarantine(stream, message, broken);
    try {
      const appended = await this.#writer(stream).append(message);
      return { kind: 'stored', stream: stream.name, ...appended };
    } catch (error) {
      if (error instanceof CascadeError && error.code === 'INVALID_ARGUMENT' && !error.retryable) {
        return this.#quarantine(stream, message, `the log refused the message: ${error.message}`);
      }
      throw error;
    }
  }

  async #quarantine(
    stream: StreamConfig,
    message: IngestMessage,
    reason: string,
  ): Promise<IngestResult> {
    const { object, alreadyQuarantined } = await quarantineMessage(
      this.#options.store,
      stream,
      message,
      reason,
      this.#clock,
    );
    this.#logger.warn(
      { stream: stream.name, messageId: message.messageId, reason, object, alreadyQuarantined },
      'message quarantined',
    );
    return { kind: 'quarantined', stream: stream.name, object, reason };
  }

  #logFailure(
    error: unknown,
    stream: StreamConfig | undefined,
    message: IngestMessage | undefined,
  ): void {
    const fields: Record<string, unknown> = {
      stream: stream?.name,
      messageId: message?.messageId,
      code: error instanceof CascadeError ? error.code : 'INTERNAL',
      reason: error instanceof Error ? error.message : String(error),
    };
    if (error instanceof CascadeError && error.retryable) {
      this.#logger.warn(fields, 'ingest failed, will be redelivered');
    } else if (error instanceof CascadeError) {
      this.#logger.info(fields, 'ingest request rejected');
    } else {
      this.#logger.error({ ...fields, err: error }, 'ingest failed unexpectedly');
    }
  }
}
