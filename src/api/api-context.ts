import type {
  ReplayPublisher,
  ReplayService,
  StreamCatalog,
  SubscriptionAdmin,
} from '../replay/index.ts';

/** What the API's handlers work with; built once per instance. */
export interface ApiContext {
  catalog: StreamCatalog;
  replays: ReplayService;
  /** Seek and snapshots; absent when Pub/Sub is not reachable from this deployment. */
  admin?: SubscriptionAdmin;
  /** Publishes quarantine replays (range replays go through jobs). */
  publisher?: ReplayPublisher;
  /** Full names of the subscriptions seek and snapshots may touch. */
  subscriptions: readonly string[];
  clock: () => number;
}
