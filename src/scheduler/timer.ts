import { type Logger, noopLogger } from '../observability/index.ts';

/**
 * Local mode's stand-in for Cloud Scheduler: calls `tick` every
 * `intervalMs`, never two at once (a slow tick delays the next instead of
 * overlapping it), and logs failures instead of stopping.
 *
 * @example
 * const timer = startSchedulerTimer(() => scheduler.tick(), 10_000);
 * await timer.stop();
 */
export function startSchedulerTimer(
  tick: () => Promise<unknown>,
  intervalMs: number,
  logger: Logger = noopLogger,
): { stop(): Promise<void> } {
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = tick()
        .then(
          () => undefined,
          (error: unknown) => {
            logger.error({ error: (error as Error).message }, 'scheduler tick failed');
          },
        )
        .finally(schedule);
    }, intervalMs);
    timer.unref();
  };
  schedule();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
