import type { LogRecord } from '../log/index.ts';
import type { OutgoingMessage } from './publisher.ts';

/**
 * Attributes a replayed message carries besides its own, naming where it
 * came from. Duplicates after a crash are recognisable by equal
 * (stream, partition, offset) within one replay id.
 */
export const PROVENANCE = {
  stream: 'cascade.stream',
  partition: 'cascade.partition',
  offset: 'cascade.offset',
  messageId: 'cascade.message_id',
  replayId: 'cascade.replay_id',
} as const;

/** The message to republish for a record: its data, attributes plus provenance, ordering key. */
export function replayMessage(
  record: LogRecord,
  origin: { stream: string; partition: number; replayId: string },
): OutgoingMessage {
  return {
    data: record.data,
    orderingKey: record.orderingKey,
    attributes: {
      ...record.attributes,
      [PROVENANCE.stream]: origin.stream,
      [PROVENANCE.partition]: String(origin.partition),
      [PROVENANCE.offset]: String(record.offset),
      [PROVENANCE.messageId]: record.messageId,
      [PROVENANCE.replayId]: origin.replayId,
    },
  };
}
