import { PubSub } from '@google-cloud/pubsub';
import type { CascadeConfig } from '../config/index.ts';
import {
  type GoogleClientOptions,
  googleClientOptions,
  type ResolvedCredentials,
  resolveCredentials,
  type SecretReader,
} from '../credentials/index.ts';
import { createCloudLogger, type Logger } from '../observability/index.ts';
import type { ObjectStore } from '../storage/index.ts';
import { StreamCatalog } from './catalog.ts';
import { JobStore } from './job-store.ts';
import { pubsubPublisher, type ReplayPublisher } from './publisher.ts';
import { ReplayService } from './replay-service.ts';
import { pubsubAdmin, type SubscriptionAdmin } from './subscription-admin.ts';

/** Opens the configured object store (the ingest runtime's opener fits). */
export type ReplayStoreOpener = (
  storage: CascadeConfig['storage'],
  clientOptions: GoogleClientOptions,
) => Promise<ObjectStore>;

/** What the `api` and `scheduler` functions share within one instance. */
export interface ReplayRuntime {
  config: CascadeConfig;
  credentials: ResolvedCredentials;
  clientOptions: GoogleClientOptions;
  store: ObjectStore;
  catalog: StreamCatalog;
  jobs: JobStore;
  replays: ReplayService;
  publisher: ReplayPublisher;
  admin: SubscriptionAdmin;
  /** The streams' subscriptions plus CASCADE_SNAPSHOT_SUBSCRIPTIONS. */
  subscriptions: string[];
  logger: Logger;
  close(): Promise<void>;
}

/**
 * Cold start shared by the `api` and `scheduler` functions: credentials, the
 * object store, the stream catalog, the job store and one official Pub/Sub
 * client (pointed at PUBSUB_EMULATOR_HOST when configured).
 *
 * @example
 * const runtime = await createReplayRuntime(configFromProcess(), { openStore: openConfiguredStore });
 */
export async function createReplayRuntime(
  config: CascadeConfig,
  options: { openStore: ReplayStoreOpener; logger?: Logger; readSecret?: SecretReader },
): Promise<ReplayRuntime> {
  const logger = options.logger ?? createCloudLogger({ level: config.logLevel });
  const credentials = await resolveCredentials(config.credentials, {
    logger,
    ...(config.projectId === undefined ? {} : { projectId: config.projectId }),
    ...(options.readSecret === undefined ? {} : { readSecret: options.readSecret }),
  });
  const clientOptions = googleClientOptions(credentials);
  const store = await options.openStore(config.storage, clientOptions);
  const catalog = new StreamCatalog({ store, streams: config.streams });
  const jobs = new JobStore({ store, prefix: config.streams[0]?.prefix ?? '' });
  const pubsub = new PubSub({
    ...clientOptions,
    ...(config.pubsubEmulatorHost === undefined
      ? {}
      : { apiEndpoint: config.pubsubEmulatorHost, emulatorMode: true }),
  });
  const publisher = pubsubPublisher(pubsub);
  const subscriptions = [
    ...new Set([
      ...config.streams.map((s) => s.subscription),
      ...config.scheduler.snapshotSubscriptions,
    ]),
  ];
  return {
    config,
    credentials,
    clientOptions,
    store,
    catalog,
    jobs,
    replays: new ReplayService({ catalog, jobs }),
    publisher,
    admin: pubsubAdmin(pubsub),
    subscriptions,
    logger,
    async close() {
      await publisher.close();
      await pubsub.close();
      await store.close();
    },
  };
}
