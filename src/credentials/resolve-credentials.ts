import type { CredentialsConfig } from '../config/index.ts';
import { CascadeError } from '../errors.ts';
import type { Logger } from '../observability/index.ts';
import { noopLogger } from '../observability/index.ts';
import { type SecretReader, secretManagerReader } from './secret-manager.ts';
import { parseServiceAccountKey, type ServiceAccountKey } from './service-account.ts';

/** Where the credentials came from. */
export type CredentialSource = 'environment' | 'secret-manager' | 'ambient' | 'key-file';

export interface ResolvedCredentials {
  source: CredentialSource;
  /** The service-account key, when one was given (never logged). */
  key?: ServiceAccountKey;
  projectId?: string;
}

/** Options the Storage, Pub/Sub and Secret Manager clients take, built from the resolved credentials. */
export interface GoogleClientOptions {
  projectId?: string;
  credentials?: { client_email: string; private_key: string };
}

export interface ResolveCredentialsOptions {
  logger?: Logger;
  /** How to read a Secret Manager version; the official client with ambient identity by default. */
  readSecret?: SecretReader;
  projectId?: string;
}

// Cold-start cache: a warm instance never reads the secret again.
const secretCache = new Map<string, Promise<ServiceAccountKey>>();

/**
 * Resolves credentials in Cascade's fixed order: service-account JSON from
 * CASCADE_CREDENTIALS_JSON (raw or base64); else the Secret Manager version
 * named by CASCADE_CREDENTIALS_SECRET, read once with ambient identity and
 * cached; else ambient identity (metadata server). A key file named by
 * GOOGLE_APPLICATION_CREDENTIALS is refused unless explicitly allowed for
 * local development. Logs say which source won, never a value.
 *
 * @example
 * const creds = await resolveCredentials(config.credentials, { logger });
 * const storage = new Storage(googleClientOptions(creds));
 */
export async function resolveCredentials(
  config: CredentialsConfig,
  options: ResolveCredentialsOptions = {},
): Promise<ResolvedCredentials> {
  const logger = options.logger ?? noopLogger;
  const projectOverride = options.projectId;
  if (config.keyFilePath !== undefined && !config.allowKeyFile) {
    throw new CascadeError(
      'INVALID_CONFIG',
      'GOOGLE_APPLICATION_CREDENTIALS is set, but Cascade never reads key files from disk. ' +
        'Use ambient identity, CASCADE_CREDENTIALS_JSON or CASCADE_CREDENTIALS_SECRET ' +
        '(CASCADE_ALLOW_KEY_FILE=true allows it for local development only).',
      { retryable: false },
    );
  }
  const withProject = (resolved: ResolvedCredentials): ResolvedCredentials => {
    const projectId = projectOverride ?? resolved.key?.project_id;
    return projectId === undefined ? resolved : { ...resolved, projectId };
  };

  if (config.json !== undefined) {
    const key = parseServiceAccountKey(config.json, 'CASCADE_CREDENTIALS_JSON');
    logger.info({ source: 'environment', clientEmail: key.client_email }, 'credentials resolved');
    return withProject({ source: 'environment', key });
  }
  if (config.secretVersion !== undefined) {
    const name = config.secretVersion;
    let pending = secretCache.get(name);
    if (pending === undefined) {
      const read = options.readSecret ?? secretManagerReader();
      pending = read(name).then((bytes) =>
        parseServiceAccountKey(Buffer.from(bytes).toString('utf8'), `secret ${name}`),
      );
      // A failed read is not cached: the next cold start (or retry) tries again.
      pending.catch(() => secretCache.delete(name));
      secretCache.set(name, pending);
    }
    const key = await pending;
    logger.info(
      { source: 'secret-manager', secretVersion: name, clientEmail: key.client_email },
      'credentials resolved',
    );
    return withProject({ source: 'secret-manager', key });
  }
  if (config.keyFilePath !== undefined) {
    logger.warn(
      { source: 'key-file' },
      'GOOGLE_APPLICATION_CREDENTIALS names a key file; allowed by CASCADE_ALLOW_KEY_FILE for local development only',
    );
    return withProject({ source: 'key-file' });
  }
  logger.info({ source: 'ambient' }, 'credentials resolved');
  return withProject({ source: 'ambient' });
}

/** Forgets cached secrets (tests only). */
export function clearCredentialCache(): void {
  secretCache.clear();
}

/** Client options for the Google clients, passing the resolved key explicitly. */
export function googleClientOptions(resolved: ResolvedCredentials): GoogleClientOptions {
  const options: GoogleClientOptions = {};
  if (resolved.projectId !== undefined) options.projectId = resolved.projectId;
  if (resolved.key !== undefined) {
    options.credentials = {
      client_email: resolved.key.client_email,
      private_key: resolved.key.private_key,
    };
  }
  return options;
}
