import type { CascadeConfig, StreamConfig } from '../config/index.ts';
import {
  type GoogleClientOptions,
  googleClientOptions,
  type ResolvedCredentials,
  resolveCredentials,
  type SecretReader,
} from '../credentials/index.ts';
import { StreamWriter } from '../log/index.ts';
import { createCloudLogger, type Logger } from '../observability/index.ts';
import type { ObjectStore } from '../storage/index.ts';
import { Ingestor } from './ingestor.ts';
import { createPushVerifier } from './push-auth.ts';

/** Opens the configured object store with the resolved client options. */
export type StoreOpener = (
  storage: CascadeConfig['storage'],
  clientOptions: GoogleClientOptions,
) => Promise<ObjectStore>;

export interface IngestRuntimeOptions {
  /** How to open the store (the real backends by default). */
  openStore: StoreOpener;
  logger?: Logger;
  readSecret?: SecretReader;
  clock?: () => number;
}

/** Everything the ingest functions share within one instance. */
export interface IngestRuntime {
  ingestor: Ingestor;
  store: ObjectStore;
  credentials: ResolvedCredentials;
  logger: Logger;
  /** Flushes every writer, then releases the store. */
  close(): Promise<void>;
}

/**
 * Cold start of the ingest functions: credentials (in Cascade's fixed
 * order), the object store, the push-token verifier and one
 * {@link StreamWriter} per stream, created once per instance.
 *
 * @example
 * const runtime = await createIngestRuntime(configFromProcess(), { openStore });
 * http('ingest', ingestHttp(runtime.ingestor));
 */
export async function createIngestRuntime(
  config: CascadeConfig,
  options: IngestRuntimeOptions,
): Promise<IngestRuntime> {
  const logger = options.logger ?? createCloudLogger({ level: config.logLevel });
  const credentials = await resolveCredentials(config.credentials, {
    logger,
    ...(config.projectId === undefined ? {} : { projectId: config.projectId }),
    ...(options.readSecret === undefined ? {} : { readSecret: options.readSecret }),
  });
  const store = await options.openStore(config.storage, googleClientOptions(credentials));
  const audiences = [
    ...new Set(config.streams.flatMap((s) => (s.pushAuth ? [s.pushAuth.audience] : []))),
  ];
  const clock = options.clock ?? Date.now;
  const ingestor = new Ingestor({
    streams: config.streams,
    store,
    logger,
    clock,
    maxRequestBytes: config.maxRequestBytes,
    createWriter: (stream: StreamConfig) => new StreamWriter({ store, stream, logger, clock }),
    ...(config.pushAuth.enabled
      ? { verifier: createPushVerifier({ certsUrl: config.pushAuth.certsUrl, audiences }) }
      : {}),
  });
  logger.info(
    {
      storage: config.storage.kind,
      streams: config.streams.map((s) => s.name),
      pushAuth: config.pushAuth.enabled,
      credentials: credentials.source,
    },
    'ingest ready',
  );
  return {
    ingestor,
    store,
    credentials,
    logger,
    async close() {
      await ingestor.close();
      await store.close();
    },
  };
}
