import type { CascadeConfig } from '../config/index.ts';
import type { Logger } from '../observability/index.ts';
import { createReplayRuntime, ReplayRunner, type ReplayStoreOpener } from '../replay/index.ts';
import { runTick, type TickResult } from './tick.ts';

/** The `scheduler` function's instance state. */
export interface SchedulerRuntime {
  /** One bounded tick with the configured budget. */
  tick(): Promise<TickResult>;
  close(): Promise<void>;
}

/** A lease outlives the slice that holds it by this much, so a slow last batch still checkpoints. */
const LEASE_MARGIN_MS = 60_000;

/**
 * Cold start of the `scheduler` function: the shared replay runtime plus a
 * {@link ReplayRunner} whose lease outlasts the tick budget, and the
 * snapshot and retention policies from the configuration.
 *
 * @example
 * const scheduler = await createSchedulerRuntime(configFromProcess(), { openStore: openConfiguredStore });
 * await scheduler.tick();
 */
export async function createSchedulerRuntime(
  config: CascadeConfig,
  options: { openStore: ReplayStoreOpener; logger?: Logger },
): Promise<SchedulerRuntime> {
  const runtime = await createReplayRuntime(config, options);
  const settings = config.scheduler;
  const runner = new ReplayRunner({
    catalog: runtime.catalog,
    jobs: runtime.jobs,
    publisher: runtime.publisher,
    logger: runtime.logger,
    tuning: {
      batchRecords: settings.replayBatchRecords,
      leaseMs: settings.budgetMs + LEASE_MARGIN_MS,
    },
  });
  return {
    tick: () =>
      runTick(
        {
          store: runtime.store,
          streams: config.streams,
          jobs: runtime.jobs,
          runner,
          admin: runtime.admin,
          snapshots: {
            subscriptions: settings.snapshotSubscriptions,
            intervalMs: settings.snapshotIntervalMs,
            deleteBeforeExpiryMs: settings.snapshotDeleteBeforeExpiryMs,
          },
          ...(settings.retentionMaxAgeMs === undefined
            ? {}
            : { retention: { maxAgeMs: settings.retentionMaxAgeMs } }),
          logger: runtime.logger,
        },
        { budgetMs: settings.budgetMs },
      ),
    close: () => runtime.close(),
  };
}
