import { isAbsolute, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CascadeError } from '../../errors.ts';

/** Where the stack's Pub/Sub comes from. */
export type PubSubMode =
  /** Cascade's own emulator, started by the stack (the default). */
  | { kind: 'local' }
  /** An emulator someone else runs (PUBSUB_EMULATOR_HOST), e.g. Google's: no push OIDC. */
  | { kind: 'emulator'; host: string }
  /** Real Pub/Sub: pushes reach the local ingest through a public HTTPS endpoint (a tunnel). */
  | { kind: 'gcp'; pushEndpoint: string; pushServiceAccount: string };

/** Where the log is stored. */
export type StackStorage =
  | { kind: 'fs'; dataDir: string }
  | { kind: 'gcs'; bucket: string; emulatorHost?: string };

/** Everything `npm start` was asked to do, parsed once from (argv, env). */
export interface StackOptions {
  help: boolean;
  demo: boolean;
  /** Demo messages per second. */
  demoRate: number;
  /** Every server listens on this loopback address only. */
  host: string;
  projectId: string;
  ports: { pubsub: number; ingest: number; api: number; scheduler: number };
  /** 0 turns the scheduler timer off. */
  schedulerIntervalMs: number;
  stream: { name: string; topic: string; subscription: string; partitions: number };
  pubsub: PubSubMode;
  storage: StackStorage;
  /** Lowest severity the function processes log. */
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** Credential variables handed to the functions unchanged (real GCP only). */
  credentialsEnv: Record<string, string>;
}

/** `npm start -- --help`. */
export const USAGE = `Usage: npm start -- [options]

Runs Cascade on this machine: a Pub/Sub emulator, the ingest, api and
scheduler functions, and a demo topic whose push subscription feeds the log.

  --demo                      also publish a steady synthetic stream and print offsets
  --demo-rate <n>             demo messages per second (default 20)
  --data-dir <path>           log folder for the filesystem backend (default .local-data)
  --pubsub-port <port>        Pub/Sub emulator gRPC port (default 8085)
  --ingest-port <port>        ingest function port (default 8080)
  --api-port <port>           api function port (default 8081)
  --scheduler-port <port>     scheduler function port (default 8082)
  --scheduler-interval <s>    seconds between scheduler ticks, 0 = never (default 60)
  --project <id>              project id (default $GOOGLE_CLOUD_PROJECT or cascade-local)
  --topic <name>              demo topic (default demo)
  --subscription <name>       push subscription (default demo-push)
  --stream <name>             stream name (default demo)
  --partitions <n>            partitions of the stream (default 4)
  --bucket <name>             store the log in Cloud Storage (default bucket with
                              STORAGE_EMULATOR_HOST: cascade-local)
  --pubsub gcp                use real Pub/Sub (needs --push-endpoint and
                              --push-service-account; see README)
  --push-endpoint <url>       public HTTPS URL that reaches the ingest port
  --push-service-account <e>  service account Pub/Sub signs push tokens as
  --log-level <level>         function log level: debug|info|warn|error (default warn)
  -h, --help                  this text

Environment: PUBSUB_EMULATOR_HOST uses that emulator instead of starting one
(push tokens are then not verified); STORAGE_EMULATOR_HOST stores the log in
that Cloud Storage emulator; CASCADE_CREDENTIALS_JSON / CASCADE_CREDENTIALS_SECRET
are passed to the functions for real Cloud Storage or Pub/Sub.`;

const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
const CREDENTIAL_VARS = [
  'CASCADE_CREDENTIALS_JSON',
  'CASCADE_CREDENTIALS_SECRET',
  'CASCADE_ALLOW_KEY_FILE',
  'GOOGLE_APPLICATION_CREDENTIALS',
] as const;

function bad(message: string): CascadeError {
  return new CascadeError('INVALID_ARGUMENT', message, { retryable: false });
}

function port(value: string, flag: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 65535) {
    throw bad(`${flag} must be a port number (1-65535), got ${JSON.stringify(value)}`);
  }
  return n;
}

function count(value: string, flag: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) {
    throw bad(`${flag} must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return n;
}

function resourceName(value: string, flag: string): string {
  // Pub/Sub's own rule for topic and subscription ids.
  if (!/^[A-Za-z][A-Za-z0-9\-_.~+%]{2,254}$/.test(value) || value.startsWith('goog')) {
    throw bad(`${flag} must be a Pub/Sub id (letter first, 3-255 characters), got ${value}`);
  }
  return value;
}

/**
 * Parses `npm start`'s flags and the few environment variables it honours.
 * Both are parameters so tests never touch the process's globals.
 *
 * @throws CascadeError INVALID_ARGUMENT with a message fit to print as is.
 * @example
 * const options = parseStackOptions(process.argv.slice(2), process.env, process.cwd());
 */
export function parseStackOptions(
  argv: string[],
  env: Record<string, string | undefined>,
  cwd: string,
): StackOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        help: { type: 'boolean', short: 'h' },
        demo: { type: 'boolean' },
        'demo-rate': { type: 'string', default: '20' },
        'data-dir': { type: 'string', default: '.local-data' },
        'pubsub-port': { type: 'string', default: '8085' },
        'ingest-port': { type: 'string', default: '8080' },
        'api-port': { type: 'string', default: '8081' },
        'scheduler-port': { type: 'string', default: '8082' },
        'scheduler-interval': { type: 'string', default: '60' },
        project: { type: 'string' },
        topic: { type: 'string', default: 'demo' },
        subscription: { type: 'string', default: 'demo-push' },
        stream: { type: 'string', default: 'demo' },
        partitions: { type: 'string', default: '4' },
        bucket: { type: 'string' },
        pubsub: { type: 'string' },
        'push-endpoint': { type: 'string' },
        'push-service-account': { type: 'string' },
        'log-level': { type: 'string', default: 'warn' },
      },
    }).values;
  } catch (error) {
    throw new CascadeError('INVALID_ARGUMENT', `${(error as Error).message} (see --help)`, {
      retryable: false,
      cause: error,
    });
  }
  const text = (name: string): string => String(values[name] ?? '');
  const ports = {
    pubsub: port(text('pubsub-port'), '--pubsub-port'),
    ingest: port(text('ingest-port'), '--ingest-port'),
    api: port(text('api-port'), '--api-port'),
    scheduler: port(text('scheduler-port'), '--scheduler-port'),
  };
  const pubsub = pubsubMode(values, env);
  const used = Object.entries(ports).filter(
    ([name]) => name !== 'pubsub' || pubsub.kind === 'local',
  );
  for (const [name, p] of used) {
    const other = used.find(([n, q]) => n !== name && q === p);
    if (other)
      throw bad(`--${name}-port and --${other[0]}-port are both ${p}; give them different ports`);
  }
  const logLevel = text('log-level');
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw bad(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got ${logLevel}`);
  }
  const stream = text('stream');
  if (!/^[a-z0-9_-]{1,128}$/.test(stream)) {
    throw bad(`--stream must match [a-z0-9_-]{1,128}, got ${JSON.stringify(stream)}`);
  }
  const projectId = String(values.project ?? env.GOOGLE_CLOUD_PROJECT ?? 'cascade-local');
  if (!/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/.test(projectId)) {
    throw bad(
      `--project must be a project id (6-30 lowercase letters, digits, -), got ${projectId}`,
    );
  }
  const credentialsEnv: Record<string, string> = {};
  for (const name of CREDENTIAL_VARS) {
    const value = env[name];
    if (value !== undefined && value !== '') credentialsEnv[name] = value;
  }
  return {
    help: values.help === true,
    demo: values.demo === true,
    demoRate: count(text('demo-rate'), '--demo-rate', 1, 10_000),
    host: '127.0.0.1',
    projectId,
    ports,
    schedulerIntervalMs:
      count(text('scheduler-interval'), '--scheduler-interval', 0, 86_400) * 1000,
    stream: {
      name: stream,
      topic: resourceName(text('topic'), '--topic'),
      subscription: resourceName(text('subscription'), '--subscription'),
      partitions: count(text('partitions'), '--partitions', 1, 1024),
    },
    pubsub,
    storage: storage(values, env, cwd),
    logLevel: logLevel as StackOptions['logLevel'],
    credentialsEnv,
  };
}

function pubsubMode(
  values: Record<string, string | boolean | undefined>,
  env: Record<string, string | undefined>,
): PubSubMode {
  const mode = values.pubsub;
  const endpoint = values['push-endpoint'];
  const account = values['push-service-account'];
  if (mode !== undefined && mode !== 'gcp') {
    throw bad(`--pubsub takes only "gcp" (the emulator is the default), got ${String(mode)}`);
  }
  if (mode === 'gcp') {
    if (env.PUBSUB_EMULATOR_HOST) {
      throw bad('--pubsub gcp and PUBSUB_EMULATOR_HOST contradict each other; unset one');
    }
    if (typeof endpoint !== 'string' || !/^https:\/\/[^\s/]+/.test(endpoint)) {
      throw bad(
        '--pubsub gcp needs --push-endpoint https://… : a public HTTPS URL (e.g. a tunnel) ' +
          'that forwards to the ingest port, because Pub/Sub cannot push to 127.0.0.1',
      );
    }
    if (typeof account !== 'string' || !account.includes('@')) {
      throw bad('--pubsub gcp needs --push-service-account <email> for the push OIDC token');
    }
    return { kind: 'gcp', pushEndpoint: endpoint, pushServiceAccount: account };
  }
  if (endpoint !== undefined || account !== undefined) {
    throw bad('--push-endpoint and --push-service-account apply only with --pubsub gcp');
  }
  const host = env.PUBSUB_EMULATOR_HOST;
  if (host) {
    if (!/^[^\s/:]+:\d+$|^\[[0-9a-fA-F:]+\]:\d+$/.test(host)) {
      throw bad(`PUBSUB_EMULATOR_HOST must be host:port, got ${host}`);
    }
    return { kind: 'emulator', host };
  }
  return { kind: 'local' };
}

function storage(
  values: Record<string, string | boolean | undefined>,
  env: Record<string, string | undefined>,
  cwd: string,
): StackStorage {
  const emulatorHost = env.STORAGE_EMULATOR_HOST || undefined;
  const bucket = typeof values.bucket === 'string' ? values.bucket : undefined;
  if (bucket !== undefined && !/^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw bad(`--bucket must be a Cloud Storage bucket name, got ${bucket}`);
  }
  if (emulatorHost !== undefined) {
    return { kind: 'gcs', bucket: bucket ?? 'cascade-local', emulatorHost };
  }
  if (bucket !== undefined) return { kind: 'gcs', bucket };
  const dir = String(values['data-dir']);
  if (dir === '') throw bad('--data-dir must not be empty');
  return { kind: 'fs', dataDir: isAbsolute(dir) ? dir : resolve(cwd, dir) };
}
