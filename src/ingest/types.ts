/**
 * Shapes the ingest path works with. They mirror `src/log`'s public types
 * structurally, so the real `StreamWriter` satisfies {@link AppendTarget}
 * and unit tests can pass a small fake.
 */

/** One Pub/Sub message, ready for the log (same fields as the log's LogMessage). */
export interface IngestMessage {
  messageId: string;
  publishTimeMicros: number;
  orderingKey: string;
  attributes: Record<string, string>;
  data: Uint8Array;
  subscription: string;
  deliveryAttempt: number | null;
}

/** Where a message was stored. */
export interface AppendOutcome {
  partition: number;
  offset: number;
  duplicate: boolean;
}

/** What the ingest path needs from a stream's writer. */
export interface AppendTarget {
  append(message: IngestMessage): Promise<AppendOutcome>;
  close(): Promise<void>;
}

/** An HTTP request as the push handler sees it (framework-neutral). */
export interface PushRequest {
  headers: Record<string, string | string[] | undefined>;
  /** The exact bytes of the body. */
  body: Uint8Array;
  query: Record<string, unknown>;
}

/** The answer to a push request: status plus JSON body. */
export interface PushResponse {
  status: number;
  body: unknown;
}

/** What happened to one message. */
export type IngestResult =
  | { kind: 'stored'; stream: string; partition: number; offset: number; duplicate: boolean }
  | { kind: 'quarantined'; stream: string; object: string; reason: string };

/** A CloudEvent as functions-framework hands it to a CloudEvent function. */
export interface CloudEventLike {
  id?: string;
  source?: string;
  type?: string;
  specversion?: string;
  time?: string;
  data?: unknown;
}
