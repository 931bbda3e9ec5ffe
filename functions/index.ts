// The functions-framework entry (package.json "main"): configuration and
// credentials are resolved once at cold start; an invalid configuration
// throws here, so the framework refuses to load and nothing is served.
import { cloudEvent, http } from '@google-cloud/functions-framework';
import { configFromProcess } from '../src/config/index.ts';
import { createIngestRuntime, openConfiguredStore } from '../src/ingest/index.ts';
import { ingestHttp } from './ingest.ts';
import { ingestEvent } from './ingest-event.ts';

const runtime = await createIngestRuntime(configFromProcess(), { openStore: openConfiguredStore });

http('ingest', ingestHttp(runtime.ingestor));
cloudEvent('ingestEvent', ingestEvent(runtime.ingestor));
