import type { SecretManagerServiceClient } from '@google-cloud/secret-manager';
import { CascadeError } from '../errors.ts';

/** Options for the Secret Manager client (endpoint, port, sslCreds…); ambient identity otherwise. */
export type SecretManagerClientOptions = ConstructorParameters<
  typeof SecretManagerServiceClient
>[0];

/** Reads secret versions; the real implementation is {@link readSecretVersion}. */
export type SecretReader = (versionName: string) => Promise<Uint8Array>;

/** gRPC status codes worth retrying at the next cold start rather than treating as misconfiguration. */
const RETRYABLE_GRPC = new Set([4, 8, 10, 13, 14]);

/**
 * Returns a {@link SecretReader} backed by the official Secret Manager
 * client. The client authenticates with ambient identity unless the options
 * say otherwise (tests point it at a local server over an insecure channel).
 */
export function secretManagerReader(
  options: SecretManagerClientOptions = {},
  { timeoutMs = 20_000 }: { timeoutMs?: number } = {},
): SecretReader {
  return async (versionName) => {
    // Loaded on first use: the client costs about a second of CPU to load,
    // which a cold start without a secret should not pay.
    const { SecretManagerServiceClient: Client } = await import('@google-cloud/secret-manager');
    const client = new Client(options);
    try {
      // Bounds the client's own retries, so a cold start fails in seconds, not minutes.
      const [version] = await client.accessSecretVersion(
        { name: versionName },
        { timeout: timeoutMs },
      );
      const data = version.payload?.data;
      if (data === null || data === undefined) {
        throw new CascadeError('INVALID_CONFIG', `secret version ${versionName} has no payload`, {
          retryable: false,
        });
      }
      return typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    } catch (error) {
      if (error instanceof CascadeError) throw error;
      const code = (error as { code?: unknown }).code;
      const retryable = typeof code === 'number' && RETRYABLE_GRPC.has(code);
      throw new CascadeError(
        retryable ? 'UNAVAILABLE' : 'INVALID_CONFIG',
        `cannot read secret version ${versionName}: ${(error as Error).message}`,
        { retryable, cause: error, details: { grpcCode: code } },
      );
    } finally {
      await client.close();
    }
  };
}
