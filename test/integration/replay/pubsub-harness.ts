// The local Pub/Sub emulator plus the official client, and a pull loop that
// collects every message of a subscription through the generated v1 client.
import { PubSub, v1 } from '@google-cloud/pubsub';
import { credentials } from '@grpc/grpc-js';
import {
  type PubSubEmulator,
  startPubSubEmulator,
} from '../../../src/local/pubsub-emulator/index.ts';

export const PROJECT = 'cascade-test';

export interface PubSubHarness {
  emulator: PubSubEmulator;
  pubsub: PubSub;
  subscriber: v1.SubscriberClient;
  close(): Promise<void>;
}

export async function startPubSub(): Promise<PubSubHarness> {
  const emulator = await startPubSubEmulator({ host: '127.0.0.1' });
  const pubsub = new PubSub({ projectId: PROJECT, apiEndpoint: emulator.host, emulatorMode: true });
  const subscriber = new v1.SubscriberClient({
    projectId: PROJECT,
    servicePath: '127.0.0.1',
    port: emulator.port,
    sslCreds: credentials.createInsecure(),
  });
  return {
    emulator,
    pubsub,
    subscriber,
    async close() {
      await Promise.all([pubsub.close(), subscriber.close()]);
      await emulator.stop();
    },
  };
}

/** One received message. */
export interface Pulled {
  data: Buffer;
  attributes: Record<string, string>;
  orderingKey: string;
}

/**
 * Pulls and acks until `want` messages arrived, or until nothing more comes
 * for `quietMs` (so extra duplicates are seen too). Bounded by `timeoutMs`.
 */
export async function pullAll(
  h: PubSubHarness,
  subscription: string,
  options: { want: number; quietMs?: number; timeoutMs?: number },
): Promise<Pulled[]> {
  const out: Pulled[] = [];
  const quietMs = options.quietMs ?? 500;
  const until = Date.now() + (options.timeoutMs ?? 120_000);
  let lastArrival = Date.now();
  while (Date.now() < until) {
    const [response] = await h.subscriber.pull({
      subscription: `projects/${PROJECT}/subscriptions/${subscription}`,
      maxMessages: 1000,
      returnImmediately: true,
    });
    const received = response.receivedMessages ?? [];
    for (const r of received) {
      out.push({
        data: Buffer.from(r.message?.data ?? ''),
        attributes: { ...(r.message?.attributes ?? {}) } as Record<string, string>,
        orderingKey: r.message?.orderingKey ?? '',
      });
    }
    if (received.length > 0) {
      lastArrival = Date.now();
      await h.subscriber.acknowledge({
        subscription: `projects/${PROJECT}/subscriptions/${subscription}`,
        ackIds: received.map((r) => r.ackId ?? ''),
      });
      continue;
    }
    if (out.length >= options.want && Date.now() - lastArrival >= quietMs) break;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return out;
}
