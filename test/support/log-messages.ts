// Deterministic test messages for the log's multi-process tests: the worker
// that sends a message and the test that checks the log both derive its
// content from (worker, sequence) alone, so a redelivered copy is identical.
import type { LogMessage } from '../../src/log/index.ts';

/** Partition key attribute the test streams use (ordering key wins when set). */
export const TENANT_ATTRIBUTE = 'tenant';
const BASE_TIME_MICROS = 1_760_000_000_000_000;

/** Message id of a worker's i-th message. */
export function testMessageId(worker: number, seq: number): string {
  return `w${worker}-${seq}`;
}

/** Parses an id made by {@link testMessageId}. */
export function parseTestMessageId(id: string): { worker: number; seq: number } {
  const match = /^w(\d+)-(\d+)$/.exec(id);
  if (!match) throw new Error(`not a test message id: ${id}`);
  return { worker: Number(match[1]), seq: Number(match[2]) };
}

/**
 * The worker's i-th message. Every third one has an ordering key (8 keys per
 * worker); publish times grow with i, so per key and worker the log must
 * show them in increasing publish time.
 */
export function testMessage(worker: number, seq: number, deliveryAttempt = 1): LogMessage {
  const id = testMessageId(worker, seq);
  return {
    messageId: id,
    publishTimeMicros: BASE_TIME_MICROS + worker * 1_000_000_000 + seq * 10,
    orderingKey: seq % 3 === 0 ? `ok-${worker}-${(seq / 3) % 8}` : '',
    attributes: { [TENANT_ATTRIBUTE]: `t${seq % 11}`, worker: String(worker), seq: String(seq) },
    data: Buffer.from(`payload of ${id} `.repeat(1 + (seq % 5))),
    subscription: 'projects/test/subscriptions/log-it',
    deliveryAttempt,
  };
}
