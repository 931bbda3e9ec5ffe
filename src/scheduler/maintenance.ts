import type { StreamConfig } from '../config/index.ts';
import {
  applyRetention,
  type CompactionPolicy,
  Compactor,
  type RetentionPolicy,
} from '../log/index.ts';
import { type Logger, noopLogger } from '../observability/index.ts';
import type { ObjectStore } from '../storage/index.ts';

/** What one maintenance pass did. */
export interface MaintenanceResult {
  /** Partitions visited (compacted, then retention applied). */
  partitions: number;
  segmentsCreated: number;
  segmentsDropped: number;
  objectsDeleted: number;
  /** True when the deadline stopped the pass before every partition was visited. */
  outOfTime: boolean;
  failures: { stream: string; partition: number; error: string }[];
}

/**
 * Compaction then retention of every partition of every stream, in turn,
 * until the deadline. Each step is idempotent and safe beside a concurrent
 * tick (the compactor and retention both commit by manifest CAS), so a pass
 * cut short simply continues at the next tick. The visiting order rotates by
 * `startAt` so a deadline that keeps striking never starves the last partitions.
 */
export async function maintainPartitions(options: {
  store: ObjectStore;
  streams: readonly StreamConfig[];
  deadline: number;
  compaction?: Partial<CompactionPolicy>;
  retention?: RetentionPolicy;
  clock?: () => number;
  logger?: Logger;
  startAt?: number;
}): Promise<MaintenanceResult> {
  const clock = options.clock ?? Date.now;
  const logger = options.logger ?? noopLogger;
  const result: MaintenanceResult = {
    partitions: 0,
    segmentsCreated: 0,
    segmentsDropped: 0,
    objectsDeleted: 0,
    outOfTime: false,
    failures: [],
  };
  const work = options.streams.flatMap((stream) =>
    Array.from({ length: stream.partitions }, (_, partition) => ({ stream, partition })),
  );
  const offset = work.length === 0 ? 0 : (options.startAt ?? 0) % work.length;
  for (let i = 0; i < work.length; i++) {
    if (clock() >= options.deadline) {
      result.outOfTime = true;
      break;
    }
    const { stream, partition } = work[(offset + i) % work.length]!;
    try {
      const compactor = new Compactor({
        store: options.store,
        stream,
        logger,
        clock,
        ...(options.compaction ? { policy: options.compaction } : {}),
      });
      const compacted = await compactor.compact(partition);
      result.segmentsCreated += compacted.created.length;
      result.objectsDeleted += compacted.deleted.length + compacted.garbage.length;
      if (
        options.retention &&
        (options.retention.maxAgeMs ?? options.retention.maxBytes) !== undefined
      ) {
        const retained = await applyRetention({
          store: options.store,
          stream,
          partition,
          policy: options.retention,
          clock,
        });
        result.segmentsDropped += retained.dropped.length;
      }
      result.partitions++;
    } catch (error) {
      // One broken partition must not stop the others' maintenance.
      result.failures.push({ stream: stream.name, partition, error: (error as Error).message });
      logger.error(
        { stream: stream.name, partition, error: (error as Error).message },
        'partition maintenance failed',
      );
    }
  }
  return result;
}
