import type { StackOptions } from './options.ts';

/** How pushes are authenticated in this stack. */
export type PushAuthPlan =
  | { enabled: true; audience: string; email: string; certsUrl?: string }
  | { enabled: false; reason: string };

/** Full resource names of the demo topic and subscription. */
export function resourceNames(options: StackOptions): { topic: string; subscription: string } {
  return {
    topic: `projects/${options.projectId}/topics/${options.stream.topic}`,
    subscription: `projects/${options.projectId}/subscriptions/${options.stream.subscription}`,
  };
}

/** The URL Pub/Sub pushes to: the local ingest port, or the public endpoint with real Pub/Sub. */
export function pushEndpoint(options: StackOptions): string {
  if (options.pubsub.kind === 'gcp') return options.pubsub.pushEndpoint;
  return `http://${options.host}:${options.ports.ingest}/`;
}

/**
 * Who signs push tokens and who checks them: the local emulator signs with
 * its own key (certsUrl given), real Pub/Sub with Google's; another emulator
 * sends no verifiable token at all, so the check is off.
 */
export function pushAuthPlan(options: StackOptions, emulatorCertsUrl?: string): PushAuthPlan {
  switch (options.pubsub.kind) {
    case 'local':
      return {
        enabled: true,
        audience: pushEndpoint(options),
        email: `cascade-push@${options.projectId}.iam.gserviceaccount.com`,
        ...(emulatorCertsUrl === undefined ? {} : { certsUrl: emulatorCertsUrl }),
      };
    case 'gcp':
      return {
        enabled: true,
        audience: options.pubsub.pushEndpoint,
        email: options.pubsub.pushServiceAccount,
      };
    case 'emulator':
      return {
        enabled: false,
        reason:
          `PUBSUB_EMULATOR_HOST points at another emulator (${options.pubsub.host}), ` +
          'whose push requests carry no token Cascade can verify',
      };
  }
}

/** The streams document (CASCADE_STREAMS) of the one demo stream. */
export function streamsDocument(options: StackOptions, auth: PushAuthPlan): string {
  const names = resourceNames(options);
  return JSON.stringify({
    prefix: '',
    ...(auth.enabled ? { pushAuth: { audience: auth.audience, email: auth.email } } : {}),
    streams: [
      {
        name: options.stream.name,
        subscription: names.subscription,
        topic: names.topic,
        partitions: options.stream.partitions,
      },
    ],
  });
}

// A local tick stays short so Ctrl-C never waits on a long compaction.
const LOCAL_SCHEDULER_BUDGET_MS = 20_000;

/**
 * The whole environment of a function process: only variables the
 * configuration schema defines (docs/configuration.md), plus PATH and HOME.
 * Every function gets the same environment, as every Cloud Run service of
 * one deployment would.
 */
export function functionEnv(
  options: StackOptions,
  auth: PushAuthPlan,
  inherited: { PATH?: string; HOME?: string },
): Record<string, string> {
  const env: Record<string, string> = {
    PATH: inherited.PATH ?? '/usr/bin:/bin',
    HOME: inherited.HOME ?? '/tmp',
    GOOGLE_CLOUD_PROJECT: options.projectId,
    CASCADE_STREAMS: streamsDocument(options, auth),
    CASCADE_PUSH_AUTH: auth.enabled ? 'on' : 'off',
    CASCADE_LOG_LEVEL: options.logLevel,
    CASCADE_SCHEDULER_BUDGET_MS: String(LOCAL_SCHEDULER_BUDGET_MS),
    ...options.credentialsEnv,
  };
  if (auth.enabled && auth.certsUrl !== undefined) env.CASCADE_OIDC_CERTS_URL = auth.certsUrl;
  const storage = options.storage;
  if (storage.kind === 'fs') {
    env.CASCADE_STORAGE = 'fs';
    env.CASCADE_DATA_DIR = storage.dataDir;
  } else {
    env.CASCADE_STORAGE = 'gcs';
    env.CASCADE_BUCKET = storage.bucket;
    if (storage.emulatorHost !== undefined) env.STORAGE_EMULATOR_HOST = storage.emulatorHost;
  }
  const pubsub = options.pubsub;
  if (pubsub.kind === 'local') env.PUBSUB_EMULATOR_HOST = `${options.host}:${options.ports.pubsub}`;
  if (pubsub.kind === 'emulator') env.PUBSUB_EMULATOR_HOST = pubsub.host;
  return env;
}
