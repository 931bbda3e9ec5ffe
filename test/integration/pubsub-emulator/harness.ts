// Shared set-up for the emulator's integration tests: one emulator per test
// file, reached only through the official client (plus its clock).
import { PubSub, v1 } from '@google-cloud/pubsub';
import { credentials } from '@grpc/grpc-js';
import {
  type PubSubEmulator,
  startPubSubEmulator,
} from '../../../src/local/pubsub-emulator/index.ts';

export const PROJECT = 'cascade-test';

// The client asks the GCE metadata server about its universe domain even in
// emulator mode; there is none here, so skip the lookup (and its warning).
process.env.METADATA_SERVER_DETECTION ??= 'none';

export interface Harness {
  emulator: PubSubEmulator;
  pubsub: PubSub;
  /** The low-level generated clients, for Pull and the other unary RPCs the handwritten layer hides. */
  subscriber: v1.SubscriberClient;
  publisher: v1.PublisherClient;
  close(): Promise<void>;
}

/** Starts an emulator on 127.0.0.1 and connects the official client to it in emulator mode. */
export async function startHarness(
  options: Parameters<typeof startPubSubEmulator>[0] = {},
): Promise<Harness> {
  const emulator = await startPubSubEmulator({ host: '127.0.0.1', ...options });
  const pubsub = new PubSub({ projectId: PROJECT, apiEndpoint: emulator.host, emulatorMode: true });
  // The generated clients' documented emulator set-up: plain-text gRPC to host:port.
  const config = {
    projectId: PROJECT,
    servicePath: '127.0.0.1',
    port: emulator.port,
    sslCreds: credentials.createInsecure(),
  };
  const subscriber = new v1.SubscriberClient(config);
  const publisher = new v1.PublisherClient(config);
  return {
    emulator,
    pubsub,
    subscriber,
    publisher,
    async close() {
      await Promise.all([pubsub.close(), subscriber.close(), publisher.close()]);
      await emulator.stop();
    },
  };
}

/** Full resource names in the test project. */
export const topicPath = (id: string): string => `projects/${PROJECT}/topics/${id}`;
export const subscriptionPath = (id: string): string => `projects/${PROJECT}/subscriptions/${id}`;
export const snapshotPath = (id: string): string => `projects/${PROJECT}/snapshots/${id}`;

/** The gRPC status code of a rejected call. */
export async function codeOf(promise: Promise<unknown>): Promise<number | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return (error as { code?: number }).code;
  }
}

/** Polls `check` until it returns true or `timeoutMs` of real time passes. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
