import type { PushAuthPlan } from './function-env.ts';
import type { StackOptions } from './options.ts';

/** What is running where, as {@link renderBanner} prints it. */
export interface BannerInfo {
  options: StackOptions;
  /** PUBSUB_EMULATOR_HOST value, or undefined for real Pub/Sub. */
  pubsubHost?: string;
  /** Certificates of the local emulator's push tokens. */
  certsUrl?: string;
  pushEndpoint: string;
  auth: PushAuthPlan;
  topic: string;
  subscription: string;
  urls: { ingest: string; api: string; scheduler: string };
}

function storageLine(options: StackOptions): string {
  const s = options.storage;
  if (s.kind === 'fs') return `filesystem ${s.dataDir}`;
  if (s.emulatorHost !== undefined) return `gs://${s.bucket} on the emulator ${s.emulatorHost}`;
  return `gs://${s.bucket} (real Cloud Storage)`;
}

function pubsubLine(info: BannerInfo): string {
  const mode = info.options.pubsub;
  if (mode.kind === 'local') return `Cascade emulator at ${info.pubsubHost}`;
  if (mode.kind === 'emulator') return `external emulator at ${mode.host} (PUBSUB_EMULATOR_HOST)`;
  return `real Pub/Sub, project ${info.options.projectId}`;
}

/** The one-liner that publishes a message to the demo topic from the repository folder. */
export function publishCommand(info: BannerInfo): string {
  const { projectId, stream } = info.options;
  // Against an emulator the client would still probe the GCE metadata server and warn.
  const env =
    info.pubsubHost === undefined
      ? ''
      : `PUBSUB_EMULATOR_HOST=${info.pubsubHost} METADATA_SERVER_DETECTION=none `;
  return (
    `${env}node -e "new (require('@google-cloud/pubsub').PubSub)({projectId:'${projectId}'})` +
    `.topic('${stream.topic}',{messageOrdering:true})` +
    `.publishMessage({data:Buffer.from('hello'),orderingKey:'k1',attributes:{source:'cli'}})` +
    `.then(id=>console.log('published',id))"`
  );
}

/**
 * The text `npm start` prints once everything answers: what runs where, how
 * to publish and how to read the log back.
 */
export function renderBanner(info: BannerInfo): string {
  const { options, auth } = info;
  const lines = ['', 'Cascade local stack is running.', '', `  Pub/Sub        ${pubsubLine(info)}`];
  if (info.certsUrl !== undefined) lines.push(`  push certs     ${info.certsUrl}`);
  lines.push(
    `  ingest         ${info.urls.ingest}`,
    `  api            ${info.urls.api}v1/streams`,
    `  scheduler      ${info.urls.scheduler} ${
      options.schedulerIntervalMs > 0
        ? `(ticks every ${options.schedulerIntervalMs / 1000} s)`
        : '(timer off)'
    }`,
    `  storage        ${storageLine(options)}`,
    `  topic          ${info.topic}`,
    `  subscription   ${info.subscription}`,
    `                 pushes to ${info.pushEndpoint}${
      auth.enabled ? ` with OIDC (audience ${auth.audience}, ${auth.email})` : ' without auth'
    }`,
    `  stream         ${options.stream.name}: ${options.stream.partitions} partitions, key = ordering key`,
  );
  if (!auth.enabled) {
    lines.push(
      '',
      `  WARNING: push authentication is OFF. ${auth.reason}; anything that can reach`,
      `  ${info.urls.ingest} can write to the log.`,
    );
  }
  lines.push(
    '',
    'Publish a message (another terminal, in this folder):',
    `  ${publishCommand(info)}`,
    '',
    'Read the log back:',
    `  curl -s ${info.urls.api}v1/streams/${options.stream.name}`,
    `  curl -s '${info.urls.api}v1/streams/${options.stream.name}/partitions/0/records?offset=0&limit=10'`,
    '',
    options.demo
      ? `Publishing ${options.demoRate} demo messages a second; offsets are printed as they grow.`
      : 'Offsets are printed as records land. `npm start -- --demo` also publishes a demo stream.',
    'Ctrl-C stops everything (pending batches are flushed first).',
    '',
  );
  return lines.join('\n');
}
