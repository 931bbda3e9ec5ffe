/**
 * The typed configuration Cascade runs with, produced once at cold start by
 * {@link loadConfig}. Nothing downstream reads environment variables.
 */

/** Rules a well-formed message must satisfy; a message breaking one is quarantined. */
export interface QuarantineRules {
  /** Largest `data` accepted, in bytes (Pub/Sub's own limit is 10 MB). */
  maxMessageBytes: number;
  /** Most attributes accepted (Pub/Sub allows 100). */
  maxAttributes: number;
  /** Longest attribute key in bytes (Pub/Sub allows 256). */
  maxAttributeKeyBytes: number;
  /** Longest attribute value in bytes (Pub/Sub allows 1024). */
  maxAttributeValueBytes: number;
  /** Longest ordering key in bytes (Pub/Sub allows 1024). */
  maxOrderingKeyBytes: number;
  /** Attributes every message must carry. */
  requiredAttributes: string[];
  /** When true, `data` must be a UTF-8 JSON document. */
  requireJson: boolean;
}

/** Who may push to a stream: the OIDC token's audience and service-account email. */
export interface PushAuthSettings {
  audience: string;
  email: string;
}

/**
 * One stream: the log settings `src/log`'s `StreamWriter` takes (name,
 * prefix, partitions, partition key, batching, dedup, backpressure) plus
 * where its messages come from and what it accepts.
 */
export interface StreamConfig {
  name: string;
  prefix: string;
  partitions: number;
  partitionKey: { attribute?: string };
  lingerMs: number;
  maxBatchBytes: number;
  maxBatchRecords: number;
  dedupWindowMs: number;
  maxPendingBytes: number;
  /** Full subscription name: projects/p/subscriptions/s. */
  subscription: string;
  /** Optional full topic name; routes CloudEvents whose subscription Eventarc generated. */
  topic?: string;
  rules: QuarantineRules;
  /** Required when push authentication is on. */
  pushAuth?: PushAuthSettings;
}

export type StorageConfig =
  | { kind: 'fs'; dataDir: string }
  | { kind: 'gcs'; bucket: string; emulatorHost?: string };

export interface CredentialsConfig {
  /** Service-account JSON (raw or base64) from CASCADE_CREDENTIALS_JSON. Secret. */
  json?: string;
  /** Secret Manager version name from CASCADE_CREDENTIALS_SECRET. */
  secretVersion?: string;
  /** GOOGLE_APPLICATION_CREDENTIALS, kept only to refuse it (or warn). */
  keyFilePath?: string;
  allowKeyFile: boolean;
}

export interface CascadeConfig {
  storage: StorageConfig;
  projectId?: string;
  pubsubEmulatorHost?: string;
  streams: StreamConfig[];
  pushAuth: { enabled: boolean; certsUrl: string };
  credentials: CredentialsConfig;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** Requests larger than this are refused before parsing (not a Pub/Sub request). */
  maxRequestBytes: number;
  api: ApiSettings;
  scheduler: SchedulerSettings;
}

/** The `api` function's settings. */
export interface ApiSettings {
  /** Secret Manager version of the bearer token; none = IAM invoker only. */
  tokenSecretVersion?: string;
}

/** The `scheduler` function's settings. */
export interface SchedulerSettings {
  budgetMs: number;
  replayBatchRecords: number;
  snapshotSubscriptions: string[];
  snapshotIntervalMs: number;
  snapshotDeleteBeforeExpiryMs: number;
  /** Segment retention by age; undefined keeps everything. */
  retentionMaxAgeMs?: number;
}
