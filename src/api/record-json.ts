import type { LogRecord } from '../log/index.ts';

/** RFC 3339 with microseconds, so a record's time round-trips exactly. */
export function isoFromMicros(micros: number): string {
  const ms = Math.floor(micros / 1000);
  const extra = String(micros - ms * 1000).padStart(3, '0');
  return new Date(ms).toISOString().replace('Z', `${extra}Z`);
}

/** A record as the API shows it: `data` in base64, ingest details under `metadata`. */
export function recordJson(record: LogRecord): {
  offset: number;
  messageId: string;
  publishTime: string;
  orderingKey: string;
  attributes: Record<string, string>;
  data: string;
  metadata: { ingestTime: string; deliveryAttempt: number | null; subscription: string };
} {
  return {
    offset: record.offset,
    messageId: record.messageId,
    publishTime: isoFromMicros(record.publishTimeMicros),
    orderingKey: record.orderingKey,
    attributes: record.attributes,
    data: Buffer.from(record.data.buffer, record.data.byteOffset, record.data.byteLength).toString(
      'base64',
    ),
    metadata: {
      ingestTime: isoFromMicros(record.ingestTimeMicros),
      deliveryAttempt: record.deliveryAttempt,
      subscription: record.subscription,
    },
  };
}

/** Microseconds since the epoch of an RFC 3339 time (sub-millisecond digits kept). */
export function microsFromIso(text: string): number {
  const ms = Date.parse(text);
  const fraction = /\.(\d+)/.exec(text)?.[1] ?? '';
  const micros = Number(fraction.padEnd(6, '0').slice(3, 6));
  return ms * 1000 + micros;
}
