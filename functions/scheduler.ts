import type { HttpFunction } from '@google-cloud/functions-framework';
import { apiErrorResponse } from '../src/api/index.ts';
import type { SchedulerRuntime } from '../src/scheduler/index.ts';

/**
 * `scheduler`: Cloud Scheduler calls it; one bounded tick runs and its
 * summary is the answer. A failure answers 5xx so Cloud Scheduler records
 * it; the next tick resumes from the stored job checkpoints and manifests.
 */
export function schedulerHttp(runtime: () => Promise<SchedulerRuntime>): HttpFunction {
  return async (_req, res) => {
    try {
      res.status(200).json(await (await runtime()).tick());
    } catch (error) {
      const { status, body } = apiErrorResponse(error);
      res.status(status).json(body);
    }
  };
}
