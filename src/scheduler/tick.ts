import type { StreamConfig } from '../config/index.ts';
import type { CompactionPolicy, RetentionPolicy } from '../log/index.ts';
import { type Logger, noopLogger } from '../observability/index.ts';
import type { JobStore, ReplayRunner, SliceResult, SubscriptionAdmin } from '../replay/index.ts';
import type { ObjectStore } from '../storage/index.ts';
import { type MaintenanceResult, maintainPartitions } from './maintenance.ts';
import { type RotationResult, rotateSnapshots, type SnapshotPolicy } from './snapshot-rotation.ts';

/** Everything a tick works on; built once per instance. */
export interface TickDependencies {
  store: ObjectStore;
  streams: readonly StreamConfig[];
  jobs: JobStore;
  runner: ReplayRunner;
  /** Absent when no subscription is configured for snapshots. */
  admin?: SubscriptionAdmin;
  snapshots?: SnapshotPolicy;
  compaction?: Partial<CompactionPolicy>;
  retention?: RetentionPolicy;
  clock?: () => number;
  logger?: Logger;
}

/** What a tick did, returned as the scheduler function's JSON answer. */
export interface TickResult {
  replays: SliceResult[];
  snapshots: RotationResult | { error: string } | null;
  maintenance: MaintenanceResult;
  elapsedMs: number;
}

/** Share of the budget replay slices may use, so compaction is never starved. */
const REPLAY_SHARE = 0.6;

let tickCount = 0;

/**
 * One scheduler tick: replay slices, snapshot rotation, then compaction and
 * retention, all within `budgetMs` (set below the function timeout). Every
 * part is safe beside another tick: jobs by their CAS lease, snapshots by
 * name, partitions by manifest CAS.
 *
 * @example
 * const result = await runTick(deps, { budgetMs: 50_000 });
 */
export async function runTick(
  deps: TickDependencies,
  options: { budgetMs: number },
): Promise<TickResult> {
  const clock = deps.clock ?? Date.now;
  const logger = deps.logger ?? noopLogger;
  const started = clock();
  const end = started + options.budgetMs;
  const replayDeadline = started + options.budgetMs * REPLAY_SHARE;

  const replays: SliceResult[] = [];
  for (const { job } of await deps.jobs.list()) {
    if (clock() >= replayDeadline) break;
    if (!deps.runner.runnable(job, clock())) continue;
    const slice = await deps.runner.runSlice(job.id, { deadline: replayDeadline });
    if (slice.ran) replays.push(slice);
  }

  let snapshots: TickResult['snapshots'] = null;
  if (deps.admin && deps.snapshots && deps.snapshots.subscriptions.length > 0) {
    try {
      snapshots = await rotateSnapshots({
        admin: deps.admin,
        policy: deps.snapshots,
        clock,
        logger,
      });
    } catch (error) {
      // Pub/Sub being unreachable must not stop compaction.
      snapshots = { error: (error as Error).message };
      logger.error({ error: (error as Error).message }, 'snapshot rotation failed');
    }
  }

  const maintenance = await maintainPartitions({
    store: deps.store,
    streams: deps.streams,
    deadline: end,
    clock,
    logger,
    startAt: tickCount++,
    ...(deps.compaction ? { compaction: deps.compaction } : {}),
    ...(deps.retention ? { retention: deps.retention } : {}),
  });
  const result = { replays, snapshots, maintenance, elapsedMs: clock() - started };
  logger.info(
    {
      replays: replays.length,
      published: replays.reduce((n, r) => n + r.published, 0),
      partitions: maintenance.partitions,
      elapsedMs: result.elapsedMs,
    },
    'scheduler tick',
  );
  return result;
}
