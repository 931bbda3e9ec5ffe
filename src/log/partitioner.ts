import { CascadeError } from '../errors.ts';
import type { LogMessage } from './types.ts';

const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const encoder = new TextEncoder();

/**
 * The partition of a key: FNV-1a 32-bit over the key's UTF-8 bytes, as an
 * unsigned integer, modulo the partition count. The hash is fixed forever
 * (test/unit/log/partitioner.test.ts pins known keys), because a redelivered
 * message must land in the same partition in every release and every process.
 *
 * @example
 * partitionFor('customer-42', 4); // always the same number in 0..3
 */
export function partitionFor(key: string, partitions: number): number {
  if (!Number.isSafeInteger(partitions) || partitions < 1) {
    throw new CascadeError('INVALID_ARGUMENT', `partitions must be a positive integer`, {
      details: { partitions },
    });
  }
  let hash = FNV_OFFSET_BASIS;
  for (const byte of encoder.encode(key)) {
    hash ^= byte;
    hash = Math.imul(hash, FNV_PRIME);
  }
  return (hash >>> 0) % partitions;
}

/**
 * The key a message is partitioned by: its ordering key when it has one, else
 * the named attribute when configured and present, else its message id.
 */
export function partitionKeyOf(message: LogMessage, attribute?: string): string {
  if (message.orderingKey !== '') return message.orderingKey;
  if (attribute !== undefined) {
    const value = message.attributes[attribute];
    if (value !== undefined) return value;
  }
  return message.messageId;
}
