import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { beforeEach, describe, it } from 'node:test';
import {
  clearCredentialCache,
  googleClientOptions,
  parseServiceAccountKey,
  resolveCredentials,
} from '../../../src/credentials/index.ts';
import { CascadeError } from '../../../src/errors.ts';
import { createCaptureLogger } from '../../../src/observability/index.ts';

const { privateKey } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});
const key = {
  type: 'service_account',
  project_id: 'proj-1',
  private_key_id: 'abc123',
  private_key: privateKey,
  client_email: 'cascade@proj-1.iam.gserviceaccount.com',
  client_id: '42',
};
const raw = JSON.stringify(key);
const base64 = Buffer.from(raw).toString('base64');
const privateBody = privateKey.split('\n')[1] as string;

describe('parseServiceAccountKey', () => {
  it('accepts raw JSON and base64 JSON alike', () => {
    assert.equal(parseServiceAccountKey(raw, 'x').client_email, key.client_email);
    assert.equal(parseServiceAccountKey(base64, 'x').private_key, privateKey);
  });

  const bad: [string, string][] = [
    ['neither JSON nor base64', 'not a key!'],
    ['base64 of something else', Buffer.from('hello').toString('base64')],
    ['JSON that is not a key', JSON.stringify({ type: 'authorized_user' })],
    [
      'a key whose private key is garbage',
      JSON.stringify({
        ...key,
        private_key: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n',
      }),
    ],
    ['truncated JSON', raw.slice(0, 50)],
  ];
  for (const [name, text] of bad) {
    it(`refuses ${name} without echoing it`, () => {
      assert.throws(
        () => parseServiceAccountKey(text, 'CASCADE_CREDENTIALS_JSON'),
        (error: unknown) =>
          error instanceof CascadeError &&
          error.code === 'INVALID_CONFIG' &&
          error.message.includes('CASCADE_CREDENTIALS_JSON') &&
          !error.message.includes(privateBody) &&
          (text.length < 12 || !error.message.includes(text)),
      );
    });
  }
});

describe('resolveCredentials', () => {
  beforeEach(() => clearCredentialCache());

  it('prefers the environment JSON over the secret and passes it to clients explicitly', async () => {
    let secretReads = 0;
    const resolved = await resolveCredentials(
      { json: base64, secretVersion: 'projects/p/secrets/s/versions/1', allowKeyFile: false },
      {
        readSecret: async () => {
          secretReads++;
          return new Uint8Array();
        },
      },
    );
    assert.equal(resolved.source, 'environment');
    assert.equal(secretReads, 0);
    assert.deepEqual(googleClientOptions(resolved), {
      projectId: 'proj-1',
      credentials: { client_email: key.client_email, private_key: privateKey },
    });
  });

  it('reads the secret once per instance, then serves it from the cache', async () => {
    const names: string[] = [];
    const readSecret = async (name: string) => {
      names.push(name);
      return new TextEncoder().encode(raw);
    };
    const config = { secretVersion: 'projects/p/secrets/sa/versions/latest', allowKeyFile: false };
    const first = await resolveCredentials(config, { readSecret });
    const second = await resolveCredentials(config, { readSecret });
    assert.equal(first.source, 'secret-manager');
    assert.equal(second.key?.client_email, key.client_email);
    assert.deepEqual(names, ['projects/p/secrets/sa/versions/latest']);
  });

  it('does not cache a failed secret read', async () => {
    let calls = 0;
    const readSecret = async () => {
      calls++;
      if (calls === 1) throw new CascadeError('UNAVAILABLE', 'down');
      return new TextEncoder().encode(raw);
    };
    const config = { secretVersion: 'projects/p/secrets/sa/versions/2', allowKeyFile: false };
    await assert.rejects(resolveCredentials(config, { readSecret }), { code: 'UNAVAILABLE' });
    assert.equal((await resolveCredentials(config, { readSecret })).source, 'secret-manager');
  });

  it('falls back to ambient identity, with no key passed to clients', async () => {
    const resolved = await resolveCredentials({ allowKeyFile: false }, { projectId: 'p2' });
    assert.equal(resolved.source, 'ambient');
    assert.deepEqual(googleClientOptions(resolved), { projectId: 'p2' });
  });

  it('refuses a key file path with an explanation, and allows it only with the flag (warning)', async () => {
    await assert.rejects(
      resolveCredentials({ keyFilePath: '/k.json', allowKeyFile: false }),
      (error: unknown) =>
        error instanceof CascadeError &&
        error.code === 'INVALID_CONFIG' &&
        /CASCADE_CREDENTIALS_JSON/.test(error.message) &&
        /CASCADE_CREDENTIALS_SECRET/.test(error.message),
    );
    const logger = createCaptureLogger();
    const resolved = await resolveCredentials(
      { keyFilePath: '/k.json', allowKeyFile: true },
      { logger },
    );
    assert.equal(resolved.source, 'key-file');
    assert.ok(
      logger.entries.some((e) => e.level === 'warn' && /local development/.test(e.message)),
    );
  });

  it('never logs secret material, whichever source wins', async () => {
    const logger = createCaptureLogger();
    await resolveCredentials({ json: raw, allowKeyFile: false }, { logger });
    await resolveCredentials(
      { secretVersion: 'projects/p/secrets/sa/versions/9', allowKeyFile: false },
      { logger, readSecret: async () => new TextEncoder().encode(base64) },
    );
    await assert.rejects(
      resolveCredentials({ json: `${raw.slice(0, -1)}`, allowKeyFile: false }, { logger }),
    );
    const text = logger.text();
    assert.ok(logger.entries.length >= 2);
    for (const secret of [privateBody, base64.slice(0, 40), 'abc123']) {
      assert.ok(!text.includes(secret), 'a secret value reached the logs');
    }
  });
});
