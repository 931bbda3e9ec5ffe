import { GoogleAuth } from 'google-auth-library';
import type { StorageConfig } from '../config/index.ts';
import type { GoogleClientOptions } from '../credentials/index.ts';
import { FsStore, GcsStore, type ObjectStore } from '../storage/index.ts';

const STORAGE_SCOPE = 'https://www.googleapis.com/auth/devstorage.read_write';

/**
 * Opens the configured backend: a directory for `fs`; for `gcs` the bucket
 * with the resolved key passed explicitly, no auth against an emulator, or
 * ambient identity (metadata server) otherwise.
 *
 * @example
 * const store = await openConfiguredStore(config.storage, googleClientOptions(credentials));
 */
export async function openConfiguredStore(
  storage: StorageConfig,
  client: GoogleClientOptions,
): Promise<ObjectStore> {
  if (storage.kind === 'fs') return new FsStore({ root: storage.dataDir });
  const common = {
    bucket: storage.bucket,
    ...(client.projectId === undefined ? {} : { projectId: client.projectId }),
  };
  if (client.credentials !== undefined) {
    return new GcsStore({
      ...common,
      credentials: client.credentials,
      ...(storage.emulatorHost === undefined
        ? {}
        : { apiEndpoint: emulatorUrl(storage.emulatorHost) }),
    });
  }
  if (storage.emulatorHost !== undefined) {
    return new GcsStore({ ...common, apiEndpoint: emulatorUrl(storage.emulatorHost) });
  }
  return new GcsStore({ ...common, authClient: new GoogleAuth({ scopes: [STORAGE_SCOPE] }) });
}

function emulatorUrl(host: string): string {
  return /^https?:\/\//.test(host) ? host : `http://${host}`;
}
