import type { ObjectStore } from '../storage/index.ts';
import { type SegmentEntry, updateManifest } from './manifest.ts';
import { manifestName } from './segment-names.ts';
import type { StreamSettings } from './types.ts';

/**
 * A stream's retention: segments whose newest record is older than
 * `maxAgeMs` go, and the oldest segments go while the partition's segments
 * (data plus indexes) exceed `maxBytes`. Either may be omitted.
 *
 * Retention deletes whole compacted segments only. Tail objects that have not
 * been compacted are never deleted by retention, so a partition that is never
 * compacted keeps everything: run the compactor (with a `maxTailAgeMs` below
 * the retention age) for retention to take effect.
 */
export interface RetentionPolicy {
  maxAgeMs?: number;
  maxBytes?: number;
}

/**
 * Applies retention to one partition: drops leading segments from the
 * manifest by CAS, advances `startOffset` past them, and schedules their
 * objects for deletion after `graceMs` (readers holding the older manifest
 * may still be reading them). Reads below the new start offset fail with
 * OFFSET_OUT_OF_RANGE. Idempotent; safe beside a running compactor.
 *
 * @example
 * await applyRetention({ store, stream, partition: 0, policy: { maxAgeMs: 7 * 86_400_000 } });
 */
export async function applyRetention(options: {
  store: ObjectStore;
  stream: StreamSettings;
  partition: number;
  policy: RetentionPolicy;
  clock?: () => number;
  graceMs?: number;
}): Promise<{ dropped: SegmentEntry[]; startOffset: number }> {
  const clock = options.clock ?? Date.now;
  const graceMs = options.graceMs ?? 15 * 60 * 1000;
  const { maxAgeMs, maxBytes } = options.policy;
  let dropped: SegmentEntry[] = [];
  const result = await updateManifest(
    options.store,
    manifestName(options.stream, options.partition),
    (manifest) => {
      const now = clock();
      const segments = [...manifest.segments];
      let total = segments.reduce((sum, s) => sum + segmentBytes(s), 0);
      dropped = [];
      for (;;) {
        const oldest = segments[0];
        if (!oldest) break;
        const tooOld =
          maxAgeMs !== undefined && oldest.maxPublishTimeMicros / 1000 < now - maxAgeMs;
        const tooBig = maxBytes !== undefined && total > maxBytes;
        if (!tooOld && !tooBig) break;
        segments.shift();
        total -= segmentBytes(oldest);
        dropped.push(oldest);
      }
      if (dropped.length === 0) return undefined;
      const notBeforeMs = Math.floor(now + graceMs);
      return {
        ...manifest,
        segments,
        startOffset: dropped.at(-1)!.end,
        pendingDeletions: [
          ...manifest.pendingDeletions,
          ...dropped.flatMap((s) =>
            [s.data.name, s.offsetIndex.name, s.timeIndex.name].map((name) => ({
              name,
              kind: 'segment' as const,
              notBeforeMs,
            })),
          ),
        ],
      };
    },
    { now: clock },
  );
  return { dropped: result.changed ? dropped : [], startOffset: result.manifest.startOffset };
}

function segmentBytes(s: SegmentEntry): number {
  return s.data.size + s.offsetIndex.size + s.timeIndex.size;
}
