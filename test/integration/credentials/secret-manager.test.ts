import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import { loadConfig } from '../../../src/config/index.ts';
import {
  clearCredentialCache,
  googleClientOptions,
  resolveCredentials,
  secretManagerReader,
} from '../../../src/credentials/index.ts';
import { createCaptureLogger } from '../../../src/observability/index.ts';
import {
  type SecretManagerServer,
  startSecretManagerServer,
} from '../../support/secret-manager-server.ts';

const { privateKey } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});
const keyJson = JSON.stringify({
  type: 'service_account',
  project_id: 'secret-proj',
  private_key_id: 'kid-123',
  private_key: privateKey,
  client_email: 'cascade@secret-proj.iam.gserviceaccount.com',
});
const SECRET = 'projects/secret-proj/secrets/cascade-sa/versions';

describe('credentials from Secret Manager (official client, local gRPC server)', () => {
  let server: SecretManagerServer;
  before(async () => {
    server = await startSecretManagerServer();
    server.setSecret(`${SECRET}/1`, 'not a key');
    server.setSecret(`${SECRET}/2`, Buffer.from(keyJson).toString('base64'));
  });
  after(async () => {
    await server.stop();
  });
  beforeEach(() => clearCredentialCache());

  it('reads the version named by CASCADE_CREDENTIALS_SECRET once, then serves it from the cache', async () => {
    // Prepare
    const config = loadConfig({
      CASCADE_PUSH_AUTH: 'off',
      CASCADE_STREAMS: JSON.stringify({
        streams: [{ name: 's', subscription: 'projects/p/subscriptions/s' }],
      }),
      CASCADE_CREDENTIALS_SECRET: `${SECRET}/latest`,
    });
    const logger = createCaptureLogger();
    const readSecret = secretManagerReader(server.clientOptions);
    const before = server.requests.length;
    // Act
    const first = await resolveCredentials(config.credentials, { logger, readSecret });
    const second = await resolveCredentials(config.credentials, { logger, readSecret });
    // Assess
    assert.equal(first.source, 'secret-manager');
    assert.equal(second.key?.client_email, 'cascade@secret-proj.iam.gserviceaccount.com');
    assert.deepEqual(server.requests.slice(before), [`${SECRET}/latest`]);
    assert.deepEqual(googleClientOptions(first).credentials?.private_key, privateKey);
    const logs = logger.text();
    assert.ok(logs.includes('secret-manager'));
    for (const secret of [
      privateKey.split('\n')[1] as string,
      Buffer.from(keyJson).toString('base64').slice(0, 40),
    ]) {
      assert.ok(!logs.includes(secret), 'secret material reached the logs');
    }
  });

  it('refuses a version that holds something other than a key, without echoing it', async () => {
    const readSecret = secretManagerReader(server.clientOptions);
    await assert.rejects(
      resolveCredentials({ secretVersion: `${SECRET}/1`, allowKeyFile: false }, { readSecret }),
      (error: Error & { code?: string }) =>
        error.code === 'INVALID_CONFIG' && !error.message.includes('not a key'),
    );
  });

  it('maps a missing version to a non-retryable configuration error', async () => {
    const readSecret = secretManagerReader(server.clientOptions);
    await assert.rejects(
      resolveCredentials({ secretVersion: `${SECRET}/9`, allowKeyFile: false }, { readSecret }),
      (error: Error & { code?: string; retryable?: boolean }) =>
        error.code === 'INVALID_CONFIG' &&
        error.retryable === false &&
        /not found/i.test(error.message),
    );
  });

  it('maps an unreachable Secret Manager to a retryable error', async () => {
    const stopped = await startSecretManagerServer();
    const options = stopped.clientOptions;
    await stopped.stop();
    const readSecret = secretManagerReader(options, { timeoutMs: 300 });
    await assert.rejects(
      resolveCredentials({ secretVersion: `${SECRET}/2`, allowKeyFile: false }, { readSecret }),
      (error: Error & { code?: string; retryable?: boolean }) =>
        error.code === 'UNAVAILABLE' && error.retryable === true,
    );
  });
});
