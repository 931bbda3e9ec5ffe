// The functions-framework entry (package.json "main"): configuration and
// credentials are resolved once at cold start; an invalid configuration
// throws here, so the framework refuses to load and nothing is served.
import { cloudEvent, http } from '@google-cloud/functions-framework';
import { createApiRuntime } from '../src/api/index.ts';
import { configFromProcess } from '../src/config/index.ts';
import { createIngestRuntime, openConfiguredStore } from '../src/ingest/index.ts';
import { createSchedulerRuntime } from '../src/scheduler/index.ts';
import { apiHttp } from './api.ts';
import { ingestHttp } from './ingest.ts';
import { ingestEvent } from './ingest-event.ts';
import { lazy } from './lazy.ts';
import { schedulerHttp } from './scheduler.ts';

const config = configFromProcess();
const runtime = await createIngestRuntime(config, { openStore: openConfiguredStore });

http('ingest', ingestHttp(runtime.ingestor));
cloudEvent('ingestEvent', ingestEvent(runtime.ingestor));

// The api and scheduler runtimes start on their function's first request, so
// an ingest instance never opens Pub/Sub clients or reads the API token.
const openStore = openConfiguredStore;
http('api', apiHttp(lazy(() => createApiRuntime(config, { openStore }))));
http('scheduler', schedulerHttp(lazy(() => createSchedulerRuntime(config, { openStore }))));

/**
 * Flushes the ingest writers (every waiting push gets its answer) and
 * releases the store. functions-framework's CLI exits at once on SIGTERM, so
 * a host that stops cleanly (the local stack's function host) calls this.
 */
export function shutdown(): Promise<void> {
  return runtime.close();
}
