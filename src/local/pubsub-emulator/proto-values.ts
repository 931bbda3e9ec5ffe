import { emulatorError, GrpcCode } from './errors.ts';
import type { Lease, ProtoDuration, ProtoTimestamp, ReceivedMessage } from './types.ts';

/** Milliseconds held by a protobuf Duration, or `undefined` when it is absent. */
export function durationToMs(duration: ProtoDuration | null | undefined): number | undefined {
  if (duration === null || duration === undefined) return undefined;
  const ms = Number(duration.seconds ?? 0) * 1000 + Math.floor((duration.nanos ?? 0) / 1e6);
  if (!Number.isFinite(ms) || ms < 0) {
    throw emulatorError(GrpcCode.INVALID_ARGUMENT, `invalid duration: ${JSON.stringify(duration)}`);
  }
  return ms;
}

/** A protobuf Duration of `ms` milliseconds. */
export function msToDuration(ms: number): ProtoDuration {
  return { seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1e6 };
}

/** Milliseconds since the epoch held by a protobuf Timestamp. */
export function timestampToMs(timestamp: ProtoTimestamp | null | undefined): number | undefined {
  if (timestamp === null || timestamp === undefined) return undefined;
  return Number(timestamp.seconds ?? 0) * 1000 + Math.floor((timestamp.nanos ?? 0) / 1e6);
}

/** A protobuf Timestamp for `ms` milliseconds since the epoch. */
export function msToTimestamp(ms: number): ProtoTimestamp {
  const seconds = Math.floor(ms / 1000);
  return { seconds: String(seconds), nanos: (ms - seconds * 1000) * 1e6 };
}

/** The ReceivedMessage for one lease; delivery_attempt is 0 unless dead-lettering is on. */
export function toReceivedMessage(lease: Lease, withDeliveryAttempt: boolean): ReceivedMessage {
  const m = lease.message;
  return {
    ackId: lease.ackId,
    message: {
      data: m.data,
      attributes: { ...m.attributes },
      messageId: m.messageId,
      publishTime: msToTimestamp(m.publishTime),
      orderingKey: m.orderingKey,
    },
    deliveryAttempt: withDeliveryAttempt ? lease.attempt : 0,
  };
}
