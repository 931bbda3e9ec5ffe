import { createHash } from 'node:crypto';
import type { StreamConfig } from '../config/index.ts';
import { hasCode } from '../errors.ts';
import type { ObjectStore } from '../storage/index.ts';
import type { IngestMessage } from './types.ts';

/** Version of the quarantine object layout below. */
export const QUARANTINE_FORMAT_VERSION = 1;

/**
 * One quarantined message, stored as UTF-8 JSON at
 * `<prefix><stream>/quarantine/<publishTimeMicros, 20 digits>-<id>.json`:
 * `{ version: 1, stream, reason, receivedAt (RFC 3339), messageId,
 *    publishTimeMicros, orderingKey, attributes, subscription,
 *    deliveryAttempt, dataBytes, data (base64) }`.
 * The name sorts by publish time (stable across redeliveries) and is unique
 * per message id, so a create-if-absent write makes quarantining idempotent.
 */
export interface QuarantineRecord {
  version: typeof QUARANTINE_FORMAT_VERSION;
  stream: string;
  reason: string;
  receivedAt: string;
  messageId: string;
  publishTimeMicros: number;
  orderingKey: string;
  attributes: Record<string, string>;
  subscription: string;
  deliveryAttempt: number | null;
  dataBytes: number;
  data: string;
}

/** The quarantine folder of a stream (for listing). */
export function quarantinePrefix(stream: Pick<StreamConfig, 'name' | 'prefix'>): string {
  return `${stream.prefix}${stream.name}/quarantine/`;
}

/** The object name a message is quarantined under. */
export function quarantineObjectName(
  stream: Pick<StreamConfig, 'name' | 'prefix'>,
  message: Pick<IngestMessage, 'messageId' | 'publishTimeMicros'>,
): string {
  // Message ids are digits in practice; anything else is hashed so the name stays valid.
  const id = /^[A-Za-z0-9_-]{1,128}$/.test(message.messageId)
    ? message.messageId
    : `h${createHash('sha256').update(message.messageId).digest('hex').slice(0, 32)}`;
  const time = String(Math.max(0, Math.trunc(message.publishTimeMicros))).padStart(20, '0');
  return `${quarantinePrefix(stream)}${time}-${id}.json`;
}

/**
 * Writes a rejected-but-well-formed message to its stream's quarantine
 * area. Returns the object name; a message already quarantined (412 on the
 * create) is not an error.
 */
export async function quarantineMessage(
  store: ObjectStore,
  stream: Pick<StreamConfig, 'name' | 'prefix'>,
  message: IngestMessage,
  reason: string,
  now: () => number = Date.now,
): Promise<{ object: string; alreadyQuarantined: boolean }> {
  const object = quarantineObjectName(stream, message);
  const record: QuarantineRecord = {
    version: QUARANTINE_FORMAT_VERSION,
    stream: stream.name,
    reason,
    receivedAt: new Date(now()).toISOString(),
    messageId: message.messageId,
    publishTimeMicros: message.publishTimeMicros,
    orderingKey: message.orderingKey,
    attributes: message.attributes,
    subscription: message.subscription,
    deliveryAttempt: message.deliveryAttempt,
    dataBytes: message.data.byteLength,
    data: Buffer.from(
      message.data.buffer,
      message.data.byteOffset,
      message.data.byteLength,
    ).toString('base64'),
  };
  try {
    await store.put(object, Buffer.from(JSON.stringify(record), 'utf8'), {
      ifGenerationMatch: 0,
      contentType: 'application/json',
      metadata: { 'cascade-quarantine-version': String(QUARANTINE_FORMAT_VERSION) },
    });
    return { object, alreadyQuarantined: false };
  } catch (error) {
    if (hasCode(error, 'PRECONDITION_FAILED')) return { object, alreadyQuarantined: true };
    throw error;
  }
}
