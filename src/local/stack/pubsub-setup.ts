import type { PubSub } from '@google-cloud/pubsub';
import { CascadeError } from '../../errors.ts';
import type { PushAuthPlan } from './function-env.ts';

/** gRPC ALREADY_EXISTS. */
const ALREADY_EXISTS = 6;

/** The demo topic and its push subscription. */
export interface PushSetup {
  topic: string;
  subscription: string;
  endpoint: string;
  auth: PushAuthPlan;
}

function alreadyExists(error: unknown): boolean {
  return (error as { code?: unknown }).code === ALREADY_EXISTS;
}

/**
 * Creates the demo topic and push subscription through the official client,
 * or points an existing subscription (another emulator's, or real Pub/Sub's
 * from an earlier run) at this stack's endpoint. Ordering is on so a key's
 * messages reach the log in publish order; the retry policy is short so a
 * restarted ingest process is fed again within seconds, not a minute.
 */
export async function ensurePushSubscription(pubsub: PubSub, setup: PushSetup): Promise<void> {
  const pushConfig = {
    pushEndpoint: setup.endpoint,
    ...(setup.auth.enabled
      ? { oidcToken: { audience: setup.auth.audience, serviceAccountEmail: setup.auth.email } }
      : {}),
  };
  try {
    try {
      await pubsub.createTopic(setup.topic);
    } catch (error) {
      if (!alreadyExists(error)) throw error;
    }
    try {
      await pubsub.topic(setup.topic).createSubscription(setup.subscription, {
        pushConfig,
        enableMessageOrdering: true,
        ackDeadlineSeconds: 60,
        retryPolicy: {
          minimumBackoff: { seconds: 0, nanos: 100_000_000 },
          maximumBackoff: { seconds: 2 },
        },
      });
    } catch (error) {
      if (!alreadyExists(error)) throw error;
      await pubsub.subscription(setup.subscription).modifyPushConfig(pushConfig);
    }
  } catch (error) {
    throw new CascadeError(
      'UNAVAILABLE',
      `could not set up ${setup.topic} and ${setup.subscription}: ${(error as Error).message}`,
      { retryable: false, cause: error },
    );
  }
}
