import { readFileSync } from 'node:fs';
import { CascadeError } from '../errors.ts';
import { envSchema, type ParsedEnv, SECRET_ENV_VARS } from './env-schema.ts';
import { type ConfigProblem, describeValue, problemsFromIssues } from './problems.ts';
import { type StreamsDocument, streamsDocumentSchema } from './streams-schema.ts';
import type { CascadeConfig, StreamConfig } from './types.ts';

export type Env = Record<string, string | undefined>;

export interface LoadConfigOptions {
  /** Reads the streams document named by CASCADE_STREAMS_FILE (injected so tests need no files). */
  readFile?: (path: string) => string;
}

const KEY_FILE_REFUSAL =
  'unset: Cascade never reads service-account key files. Use ambient identity (the ' +
  "function's service account), CASCADE_CREDENTIALS_JSON (the JSON, raw or base64) or " +
  'CASCADE_CREDENTIALS_SECRET (a Secret Manager version); for local development only, ' +
  'CASCADE_ALLOW_KEY_FILE=true permits it with a warning';

function readStreamsDocument(
  env: ParsedEnv,
  readFile: (path: string) => string,
  problems: ConfigProblem[],
): StreamsDocument | undefined {
  const inline = env.CASCADE_STREAMS;
  const file = env.CASCADE_STREAMS_FILE;
  if ((inline === undefined) === (file === undefined)) {
    problems.push({
      name: 'CASCADE_STREAMS / CASCADE_STREAMS_FILE',
      got: inline === undefined ? 'neither set' : 'both set',
      expected:
        'exactly one of them: the streams document inline, or the path of a file holding it',
    });
    return undefined;
  }
  const source = inline === undefined ? 'CASCADE_STREAMS_FILE' : 'CASCADE_STREAMS';
  let text: string;
  if (inline !== undefined) {
    text = inline;
  } else {
    try {
      text = readFile(file as string);
    } catch (error) {
      problems.push({
        name: source,
        got: describeValue(file, false),
        expected: `a readable file (${(error as Error).message})`,
      });
      return undefined;
    }
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    problems.push({
      name: source,
      got: `text that is not JSON (${(error as Error).message})`,
      expected: 'a JSON streams document',
    });
    return undefined;
  }
  const parsed = streamsDocumentSchema.safeParse(json);
  if (!parsed.success) {
    problems.push(...problemsFromIssues(parsed.error.issues, json, { prefix: source }));
    return undefined;
  }
  return parsed.data;
}

function checkStreams(
  doc: StreamsDocument,
  pushAuthOn: boolean,
  problems: ConfigProblem[],
): StreamConfig[] {
  const names = new Set<string>();
  const subscriptions = new Set<string>();
  return doc.streams.map((stream, index) => {
    const where = `streams[${index}]`;
    if (names.has(stream.name)) {
      problems.push({
        name: `${where}.name`,
        got: JSON.stringify(stream.name),
        expected: 'a name used by one stream only',
      });
    }
    if (subscriptions.has(stream.subscription)) {
      problems.push({
        name: `${where}.subscription`,
        got: JSON.stringify(stream.subscription),
        expected: 'a subscription that feeds one stream only',
      });
    }
    names.add(stream.name);
    subscriptions.add(stream.subscription);
    const pushAuth = stream.pushAuth ?? doc.pushAuth;
    if (pushAuthOn && pushAuth === undefined) {
      problems.push({
        name: `${where}.pushAuth`,
        got: 'nothing (and no document-level pushAuth)',
        expected: 'an { audience, email } to verify push tokens against (or CASCADE_PUSH_AUTH=off)',
      });
    }
    const { pushAuth: _ignored, ...rest } = stream;
    const result: StreamConfig = { ...rest, prefix: doc.prefix };
    if (pushAuth !== undefined) result.pushAuth = pushAuth;
    return result;
  });
}

/**
 * Parses the whole configuration once, from an environment given as a
 * parameter. Every problem is collected before failing, so one deploy shows
 * them all.
 *
 * @throws CascadeError INVALID_CONFIG with `details.problems` listing each
 * problem as `{ name, got, expected }` (secret values are never echoed).
 * @example
 * const config = loadConfig(process.env, { readFile: (p) => readFileSync(p, 'utf8') });
 */
export function loadConfig(rawEnv: Env, options: LoadConfigOptions = {}): CascadeConfig {
  // Deploy tools often set a variable to '' to mean "unset"; treat it so.
  const env: Env = Object.fromEntries(
    Object.entries(rawEnv).filter(([, value]) => value !== undefined && value !== ''),
  );
  const readFile = options.readFile ?? ((path: string) => readFileSync(path, 'utf8'));
  const problems: ConfigProblem[] = [];
  const parsedEnv = envSchema.safeParse(env);
  if (!parsedEnv.success) {
    problems.push(
      ...problemsFromIssues(parsedEnv.error.issues, env, {
        isSecret: (n) => SECRET_ENV_VARS.has(n),
      }),
    );
  }
  // Keep checking the streams document even when the environment is broken,
  // so one failed start lists everything.
  const envForDoc = parsedEnv.success
    ? parsedEnv.data
    : ({
        CASCADE_STREAMS: env.CASCADE_STREAMS,
        CASCADE_STREAMS_FILE: env.CASCADE_STREAMS_FILE,
      } as ParsedEnv);
  const doc = readStreamsDocument(envForDoc, readFile, problems);
  const pushAuthOn = parsedEnv.success ? parsedEnv.data.CASCADE_PUSH_AUTH === 'on' : true;
  const streams = doc ? checkStreams(doc, pushAuthOn, problems) : [];

  if (parsedEnv.success) {
    const e = parsedEnv.data;
    if (e.GOOGLE_APPLICATION_CREDENTIALS && e.CASCADE_ALLOW_KEY_FILE !== 'true') {
      problems.push({
        name: 'GOOGLE_APPLICATION_CREDENTIALS',
        got: describeValue(e.GOOGLE_APPLICATION_CREDENTIALS, false),
        expected: KEY_FILE_REFUSAL,
      });
    }
    if (e.CASCADE_STORAGE === 'gcs' && doc) {
      const bucket = e.CASCADE_BUCKET ?? doc.bucket;
      if (bucket === undefined) {
        problems.push({
          name: 'CASCADE_BUCKET',
          got: 'nothing (and no bucket in the streams document)',
          expected: 'a bucket name when CASCADE_STORAGE=gcs',
        });
      } else if (
        e.CASCADE_BUCKET !== undefined &&
        doc.bucket !== undefined &&
        doc.bucket !== e.CASCADE_BUCKET
      ) {
        problems.push({
          name: 'CASCADE_BUCKET',
          got: JSON.stringify(e.CASCADE_BUCKET),
          expected: `the same bucket as the streams document (${JSON.stringify(doc.bucket)})`,
        });
      }
    }
  }

  if (problems.length > 0 || !parsedEnv.success) {
    const lines = problems.map((p) => `  - ${p.name}: got ${p.got}; expected ${p.expected}`);
    throw new CascadeError(
      'INVALID_CONFIG',
      `invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${lines.join('\n')}`,
      { retryable: false, details: { problems } },
    );
  }
  const e = parsedEnv.data;
  const config: CascadeConfig = {
    storage:
      e.CASCADE_STORAGE === 'gcs'
        ? {
            kind: 'gcs',
            bucket: (e.CASCADE_BUCKET ?? doc?.bucket) as string,
            ...(e.STORAGE_EMULATOR_HOST ? { emulatorHost: e.STORAGE_EMULATOR_HOST } : {}),
          }
        : { kind: 'fs', dataDir: e.CASCADE_DATA_DIR },
    streams,
    pushAuth: { enabled: e.CASCADE_PUSH_AUTH === 'on', certsUrl: e.CASCADE_OIDC_CERTS_URL },
    credentials: { allowKeyFile: e.CASCADE_ALLOW_KEY_FILE === 'true' },
    logLevel: e.CASCADE_LOG_LEVEL,
    maxRequestBytes: e.CASCADE_MAX_REQUEST_BYTES,
    api: e.CASCADE_API_TOKEN_SECRET ? { tokenSecretVersion: e.CASCADE_API_TOKEN_SECRET } : {},
    scheduler: {
      budgetMs: e.CASCADE_SCHEDULER_BUDGET_MS,
      replayBatchRecords: e.CASCADE_REPLAY_BATCH_RECORDS,
      snapshotSubscriptions: e.CASCADE_SNAPSHOT_SUBSCRIPTIONS?.split(',') ?? [],
      snapshotIntervalMs: e.CASCADE_SNAPSHOT_INTERVAL_MINUTES * 60_000,
      snapshotDeleteBeforeExpiryMs: e.CASCADE_SNAPSHOT_DELETE_BEFORE_EXPIRY_MINUTES * 60_000,
      ...(e.CASCADE_RETENTION_DAYS === undefined
        ? {}
        : { retentionMaxAgeMs: e.CASCADE_RETENTION_DAYS * 86_400_000 }),
    },
  };
  if (e.GOOGLE_CLOUD_PROJECT) config.projectId = e.GOOGLE_CLOUD_PROJECT;
  if (e.PUBSUB_EMULATOR_HOST) config.pubsubEmulatorHost = e.PUBSUB_EMULATOR_HOST;
  if (e.CASCADE_CREDENTIALS_JSON) config.credentials.json = e.CASCADE_CREDENTIALS_JSON;
  if (e.CASCADE_CREDENTIALS_SECRET) config.credentials.secretVersion = e.CASCADE_CREDENTIALS_SECRET;
  if (e.GOOGLE_APPLICATION_CREDENTIALS)
    config.credentials.keyFilePath = e.GOOGLE_APPLICATION_CREDENTIALS;
  return config;
}

/**
 * {@link loadConfig} over this process's environment: the one place in
 * Cascade that reads `process.env`.
 */
export function configFromProcess(): CascadeConfig {
  return loadConfig(process.env);
}
