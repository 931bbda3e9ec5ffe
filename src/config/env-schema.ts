import { z } from 'zod';

/**
 * Every environment variable Cascade reads, in one table. The zod schema
 * that parses the environment and the documentation table ({@link ENV_VARS},
 * docs/configuration.md) are both derived from it, so they cannot drift.
 */
interface EnvVarSpec {
  schema: z.ZodType;
  description: string;
  /** Secret values are never echoed in errors or logs. */
  secret?: boolean;
  /** Shown instead of the parsed default when that reads badly. */
  required?: string;
}

const onOff = z.enum(['on', 'off']);
const bool = z.enum(['true', 'false']);
const positiveInt = z
  .string()
  .regex(/^[1-9][0-9]{0,12}$/, 'a positive integer')
  .transform((value) => Number(value));

const SPEC = {
  CASCADE_STORAGE: {
    schema: z.enum(['fs', 'gcs']).default('fs'),
    description: 'Object store backend: `fs` (a local directory) or `gcs` (Cloud Storage).',
  },
  CASCADE_DATA_DIR: {
    schema: z.string().min(1).default('./data'),
    description: 'Directory holding the objects when CASCADE_STORAGE=fs.',
  },
  CASCADE_BUCKET: {
    schema: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/, 'a Cloud Storage bucket name')
      .optional(),
    description:
      'Bucket when CASCADE_STORAGE=gcs (or `bucket` in the streams document; they must agree).',
    required: 'when gcs',
  },
  CASCADE_STREAMS: {
    schema: z.string().min(1).optional(),
    description:
      'The streams document, inline JSON (see below). Exactly one of this and CASCADE_STREAMS_FILE.',
    required: 'one of',
  },
  CASCADE_STREAMS_FILE: {
    schema: z.string().min(1).optional(),
    description: 'Path of the streams document shipped with the function.',
    required: 'one of',
  },
  CASCADE_PUSH_AUTH: {
    schema: onOff.default('on'),
    description:
      'Verify the OIDC bearer token of every push request (`on`) or accept unauthenticated pushes (`off`, local only).',
  },
  CASCADE_OIDC_CERTS_URL: {
    schema: z.url().default('https://www.googleapis.com/oauth2/v1/certs'),
    description:
      "PEM certificates that sign push tokens (Google's by default; the local emulator serves its own).",
  },
  CASCADE_CREDENTIALS_JSON: {
    schema: z.string().min(1).optional(),
    description: 'Service-account JSON, raw or base64. First choice when set.',
    secret: true,
  },
  CASCADE_CREDENTIALS_SECRET: {
    schema: z
      .string()
      .regex(
        /^projects\/[^/]+\/secrets\/[^/]+\/versions\/[^/]+$/,
        'projects/<project>/secrets/<secret>/versions/<version|latest>',
      )
      .optional(),
    description:
      'Secret Manager version holding the service-account JSON, read once at cold start with ambient identity.',
  },
  CASCADE_ALLOW_KEY_FILE: {
    schema: bool.default('false'),
    description:
      'Local development only: `true` lets GOOGLE_APPLICATION_CREDENTIALS name a key file (with a warning).',
  },
  CASCADE_LOG_LEVEL: {
    schema: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
    description: 'Lowest severity logged.',
  },
  CASCADE_MAX_REQUEST_BYTES: {
    schema: positiveInt.default(16 * 1024 * 1024),
    description: 'Push requests larger than this are refused with 400 before parsing.',
  },
  CASCADE_API_TOKEN_SECRET: {
    schema: z
      .string()
      .regex(
        /^projects\/[^/]+\/secrets\/[^/]+\/versions\/[^/]+$/,
        'projects/<project>/secrets/<secret>/versions/<version|latest>',
      )
      .optional(),
    description:
      'Secret Manager version holding the bearer token the `api` function requires (read once at cold start, compared in constant time). Unset: IAM invoker only.',
  },
  CASCADE_SCHEDULER_BUDGET_MS: {
    schema: positiveInt.default(240_000),
    description:
      'Work one `scheduler` tick may do, in milliseconds; keep it below the function timeout. Replay leases last this plus a minute.',
  },
  CASCADE_REPLAY_BATCH_RECORDS: {
    schema: positiveInt.default(1000),
    description:
      'Records a replay publishes and checkpoints together; after a crash at most this many are published twice.',
  },
  CASCADE_SNAPSHOT_SUBSCRIPTIONS: {
    schema: z
      .string()
      .regex(
        /^projects\/[^/,]+\/subscriptions\/[^/,]+(,projects\/[^/,]+\/subscriptions\/[^/,]+)*$/,
        'comma-separated projects/<project>/subscriptions/<name>',
      )
      .optional(),
    description:
      'Subscriptions the scheduler keeps rolling snapshots of, and that the API may seek (the streams’ own subscriptions always may).',
  },
  CASCADE_SNAPSHOT_INTERVAL_MINUTES: {
    schema: positiveInt.default(360),
    description: 'A new snapshot of each snapshot subscription once the newest is this old.',
  },
  CASCADE_SNAPSHOT_DELETE_BEFORE_EXPIRY_MINUTES: {
    schema: positiveInt.default(120),
    description:
      'Snapshots this close to their expiry (Pub/Sub keeps them at most 7 days) are deleted by the scheduler.',
  },
  CASCADE_RETENTION_DAYS: {
    schema: positiveInt.optional(),
    description:
      'Compacted segments whose newest record is older than this are deleted and the start offset advances. Unset: keep everything.',
  },
  GOOGLE_CLOUD_PROJECT: {
    schema: z.string().min(1).optional(),
    description: 'Project for the Google clients (otherwise taken from the credentials).',
  },
  STORAGE_EMULATOR_HOST: {
    schema: z.string().min(1).optional(),
    description: 'Send Cloud Storage calls to this emulator (e.g. http://127.0.0.1:4443).',
  },
  PUBSUB_EMULATOR_HOST: {
    schema: z.string().min(1).optional(),
    description: 'Send Pub/Sub calls to this emulator (host:port).',
  },
  GOOGLE_APPLICATION_CREDENTIALS: {
    schema: z.string().optional(),
    description:
      'Refused: Cascade never reads key files. Use CASCADE_CREDENTIALS_JSON, CASCADE_CREDENTIALS_SECRET or ambient identity.',
  },
} satisfies Record<string, EnvVarSpec>;

export type EnvVarName = keyof typeof SPEC;

/** Names of variables whose values must never be printed. */
export const SECRET_ENV_VARS: ReadonlySet<string> = new Set(
  Object.entries(SPEC)
    .filter(([, spec]) => (spec as EnvVarSpec).secret === true)
    .map(([name]) => name),
);

/** The zod schema of the whole environment (unknown variables are ignored). */
export const envSchema = z.object(
  Object.fromEntries(Object.entries(SPEC).map(([name, spec]) => [name, spec.schema])) as {
    [K in EnvVarName]: (typeof SPEC)[K]['schema'];
  },
);

export type ParsedEnv = z.output<typeof envSchema>;

/** One row of the configuration table. */
export interface EnvVarInfo {
  name: string;
  /** True when the function cannot start without it. */
  required: boolean | string;
  /** The default as the variable would be written, or undefined when there is none. */
  default: string | undefined;
  description: string;
  secret: boolean;
}

function defaultOf(schema: z.ZodType): string | undefined {
  const parsed = schema.safeParse(undefined);
  if (!parsed.success || parsed.data === undefined) return undefined;
  if (typeof parsed.data === 'boolean') return String(parsed.data);
  return String(parsed.data);
}

/**
 * Every environment variable, its default and meaning, derived from the
 * schema. A Terraform test checks its variable names against this list.
 *
 * @example
 * for (const v of ENV_VARS) console.log(v.name, v.default ?? '');
 */
export const ENV_VARS: readonly EnvVarInfo[] = Object.entries(SPEC).map(([name, spec]) => {
  const s = spec as EnvVarSpec;
  const fallback = defaultOf(s.schema);
  return {
    name,
    required: s.required ?? !s.schema.safeParse(undefined).success,
    default: fallback,
    description: s.description,
    secret: s.secret === true,
  };
});
