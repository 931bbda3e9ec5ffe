/**
 * Cloud Scheduler's part in the local stack: POSTs the scheduler function
 * every `intervalMs`, one tick at a time (a slow tick delays the next rather
 * than overlapping it). Failures are printed; the next tick tries again.
 */
export function startSchedulerTimer(options: {
  url: string;
  intervalMs: number;
  print: (line: string) => void;
}): { stop(): Promise<void> } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> = Promise.resolve();
  const tick = async (): Promise<void> => {
    try {
      const response = await fetch(options.url, {
        method: 'POST',
        signal: AbortSignal.timeout(120_000),
      });
      const body = (await response.json().catch(() => ({}))) as {
        replays?: unknown[];
        elapsedMs?: number;
        error?: { message?: string };
      };
      if (!response.ok) {
        options.print(`[scheduler] tick failed: ${response.status} ${body.error?.message ?? ''}`);
      } else if ((body.replays?.length ?? 0) > 0) {
        options.print(
          `[scheduler] tick advanced ${body.replays?.length} replay job(s) in ${body.elapsedMs} ms`,
        );
      }
    } catch (error) {
      if (!stopped) options.print(`[scheduler] tick failed: ${(error as Error).message}`);
    }
  };
  const schedule = (): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      current = tick().finally(schedule);
    }, options.intervalMs);
  };
  schedule();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await current;
    },
  };
}
