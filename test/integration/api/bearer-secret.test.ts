import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { type ApiRuntime, createApiRuntime } from '../../../src/api/index.ts';
import { loadConfig } from '../../../src/config/index.ts';
import { secretManagerReader } from '../../../src/credentials/index.ts';
import { noopLogger } from '../../../src/observability/index.ts';
import { FsStore } from '../../../src/storage/index.ts';
import {
  type SecretManagerServer,
  startSecretManagerServer,
} from '../../support/secret-manager-server.ts';
import { call } from '../../unit/api/fake-http.ts';

const SECRET = 'projects/test/secrets/api-token';
let server: SecretManagerServer;
let dir: string;

before(async () => {
  server = await startSecretManagerServer();
  server.setSecret(`${SECRET}/versions/1`, 's3cret-token\n');
  server.setSecret(`${SECRET}/versions/2`, '   ');
  dir = await mkdtemp(join(tmpdir(), 'cascade-bearer-'));
});
after(async () => {
  await server.stop();
  await rm(dir, { recursive: true, force: true });
});

function config(version: string) {
  return loadConfig({
    CASCADE_STORAGE: 'fs',
    CASCADE_DATA_DIR: dir,
    CASCADE_PUSH_AUTH: 'off',
    CASCADE_STREAMS: JSON.stringify({
      streams: [{ name: 'orders', subscription: 'projects/test/subscriptions/orders-push' }],
    }),
    CASCADE_API_TOKEN_SECRET: `${SECRET}/versions/${version}`,
    GOOGLE_CLOUD_PROJECT: 'test',
    // Never used by these requests; a closed loopback port keeps the client off the network.
    PUBSUB_EMULATOR_HOST: '127.0.0.1:9',
  });
}

it('the API token is read once from Secret Manager at cold start: none → 401, wrong → 403, right → 200', async () => {
  // Prepare
  const readSecret = secretManagerReader(server.clientOptions);
  const before = server.requests.length;
  const runtime: ApiRuntime = await createApiRuntime(config('1'), {
    openStore: async () => new FsStore({ root: dir }),
    readSecret,
    logger: noopLogger,
  });
  try {
    // Act
    const none = await call(runtime.router, 'GET', '/v1/streams');
    const wrong = await call(runtime.router, 'GET', '/v1/streams', {
      headers: { authorization: 'Bearer s3cret-tokem' },
    });
    const right = await call(runtime.router, 'GET', '/v1/streams', {
      headers: { authorization: 'Bearer s3cret-token' },
    });
    // Assess
    assert.equal(none.statusCode, 401);
    assert.equal(wrong.statusCode, 403);
    assert.equal(right.statusCode, 200);
    for (const res of [none, wrong]) assert.doesNotMatch(res.text, /s3cret/);
    assert.deepEqual(server.requests.slice(before), [`${SECRET}/versions/1`]);
  } finally {
    await runtime.close();
  }
});

it('an empty token secret stops the cold start', async () => {
  await assert.rejects(
    createApiRuntime(config('2'), {
      openStore: async () => new FsStore({ root: dir }),
      readSecret: secretManagerReader(server.clientOptions),
      logger: noopLogger,
    }),
    { code: 'INVALID_CONFIG' },
  );
});
