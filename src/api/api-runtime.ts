import type { CascadeConfig } from '../config/index.ts';
import { type SecretReader, secretManagerReader } from '../credentials/index.ts';
import { CascadeError } from '../errors.ts';
import type { Logger } from '../observability/index.ts';
import { createReplayRuntime, type ReplayStoreOpener } from '../replay/index.ts';
import { createApi } from './create-api.ts';
import type { Router } from './router.ts';

/** The `api` function's instance state. */
export interface ApiRuntime {
  router: Router;
  close(): Promise<void>;
}

/**
 * Cold start of the `api` function: the shared replay runtime, then the
 * bearer token (when CASCADE_API_TOKEN_SECRET names one) read once from
 * Secret Manager. An unreadable or empty token stops the start: serving
 * without the configured protection would be worse than not serving.
 *
 * @example
 * const api = await createApiRuntime(configFromProcess(), { openStore: openConfiguredStore });
 */
export async function createApiRuntime(
  config: CascadeConfig,
  options: { openStore: ReplayStoreOpener; logger?: Logger; readSecret?: SecretReader },
): Promise<ApiRuntime> {
  const runtime = await createReplayRuntime(config, options);
  let bearerToken: string | undefined;
  const version = config.api.tokenSecretVersion;
  if (version !== undefined) {
    const read =
      options.readSecret ??
      secretManagerReader(
        runtime.clientOptions.credentials ? { credentials: runtime.clientOptions.credentials } : {},
      );
    bearerToken = Buffer.from(await read(version))
      .toString('utf8')
      .trim();
    if (bearerToken === '') {
      throw new CascadeError('INVALID_CONFIG', `secret version ${version} holds an empty token`, {
        retryable: false,
      });
    }
  }
  const router = createApi(
    {
      catalog: runtime.catalog,
      replays: runtime.replays,
      admin: runtime.admin,
      publisher: runtime.publisher,
      subscriptions: runtime.subscriptions,
      clock: Date.now,
    },
    bearerToken === undefined ? {} : { bearerToken },
  );
  runtime.logger.info(
    { streams: config.streams.map((s) => s.name), bearer: bearerToken !== undefined },
    'api ready',
  );
  return { router, close: () => runtime.close() };
}
