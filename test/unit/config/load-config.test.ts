import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ConfigProblem, ENV_VARS, loadConfig } from '../../../src/config/index.ts';
import { CascadeError } from '../../../src/errors.ts';

const SUB = 'projects/p/subscriptions/orders-push';
const doc = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    pushAuth: { audience: 'https://ingest.example', email: 'push@p.iam.gserviceaccount.com' },
    streams: [{ name: 'orders', subscription: SUB }],
    ...extra,
  });

function problemsOf(fn: () => unknown): ConfigProblem[] {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof CascadeError);
    assert.equal(error.code, 'INVALID_CONFIG');
    assert.equal(error.retryable, false);
    return error.details.problems as ConfigProblem[];
  }
  assert.fail('expected INVALID_CONFIG');
}

describe('loadConfig', () => {
  it('applies the documented defaults to a minimal configuration', () => {
    // Act
    const config = loadConfig({ CASCADE_STREAMS: doc() });
    // Assess
    assert.deepEqual(config.storage, { kind: 'fs', dataDir: './data' });
    assert.equal(config.pushAuth.enabled, true);
    assert.equal(config.pushAuth.certsUrl, 'https://www.googleapis.com/oauth2/v1/certs');
    assert.equal(config.logLevel, 'info');
    assert.equal(config.maxRequestBytes, 16 * 1024 * 1024);
    const [stream] = config.streams;
    assert.ok(stream);
    assert.equal(stream.name, 'orders');
    assert.equal(stream.prefix, '');
    assert.equal(stream.partitions, 1);
    assert.equal(stream.lingerMs, 20);
    assert.equal(stream.maxBatchBytes, 8 * 1024 * 1024);
    assert.equal(stream.maxBatchRecords, 10_000);
    assert.equal(stream.dedupWindowMs, 600_000);
    assert.equal(stream.maxPendingBytes, 64 * 1024 * 1024);
    assert.equal(stream.rules.maxAttributes, 100);
    assert.equal(stream.rules.maxOrderingKeyBytes, 1024);
    assert.deepEqual(stream.pushAuth, {
      audience: 'https://ingest.example',
      email: 'push@p.iam.gserviceaccount.com',
    });
  });

  it('reads the streams document from a file through the injected reader', () => {
    const read: string[] = [];
    const config = loadConfig(
      { CASCADE_STREAMS_FILE: '/etc/cascade/streams.json', CASCADE_STORAGE: 'gcs' },
      {
        readFile: (path) => {
          read.push(path);
          return doc({ bucket: 'my-bucket', prefix: 'cascade/' });
        },
      },
    );
    assert.deepEqual(read, ['/etc/cascade/streams.json']);
    assert.deepEqual(config.storage, { kind: 'gcs', bucket: 'my-bucket' });
    assert.equal(config.streams[0]?.prefix, 'cascade/');
  });

  it('lists every problem at once, each with name, what was there and what was expected', () => {
    // Prepare: four independent mistakes
    const problems = problemsOf(() =>
      loadConfig({
        CASCADE_STORAGE: 's3',
        CASCADE_PUSH_AUTH: 'maybe',
        CASCADE_MAX_REQUEST_BYTES: '-5',
        CASCADE_STREAMS: JSON.stringify({
          streams: [{ name: 'Bad Name', subscription: 'orders', partitions: 0 }],
        }),
      }),
    );
    const names = problems.map((p) => p.name).sort();
    assert.deepEqual(names, [
      'CASCADE_MAX_REQUEST_BYTES',
      'CASCADE_PUSH_AUTH',
      'CASCADE_STORAGE',
      'CASCADE_STREAMS: streams[0].name',
      'CASCADE_STREAMS: streams[0].partitions',
      'CASCADE_STREAMS: streams[0].subscription',
    ]);
    const storage = problems.find((p) => p.name === 'CASCADE_STORAGE');
    assert.equal(storage?.got, '"s3"');
    assert.match(storage?.expected ?? '', /fs|gcs/);
  });

  it('never echoes a secret value in its errors', () => {
    const secret = 'not-json-but-very-secret-material';
    let message = '';
    try {
      loadConfig({
        CASCADE_STREAMS: doc(),
        CASCADE_CREDENTIALS_JSON: secret,
        CASCADE_STORAGE: 'nope',
      });
    } catch (error) {
      message = `${(error as Error).message} ${JSON.stringify((error as CascadeError).details)}`;
    }
    assert.match(message, /CASCADE_STORAGE/);
    assert.ok(!message.includes(secret));
  });

  const table: { name: string; env: Record<string, string>; problem: RegExp }[] = [
    { name: 'no streams document', env: {}, problem: /CASCADE_STREAMS \/ CASCADE_STREAMS_FILE/ },
    {
      name: 'both streams variables',
      env: { CASCADE_STREAMS: doc(), CASCADE_STREAMS_FILE: 'x.json' },
      problem: /CASCADE_STREAMS \/ CASCADE_STREAMS_FILE/,
    },
    {
      name: 'document not JSON',
      env: { CASCADE_STREAMS: '{streams' },
      problem: /^CASCADE_STREAMS$/,
    },
    {
      name: 'push auth on without identity',
      env: { CASCADE_STREAMS: JSON.stringify({ streams: [{ name: 'a', subscription: SUB }] }) },
      problem: /streams\[0\]\.pushAuth/,
    },
    {
      name: 'two streams on one subscription',
      env: {
        CASCADE_STREAMS: doc({
          streams: [
            { name: 'a', subscription: SUB },
            { name: 'b', subscription: SUB },
          ],
        }),
      },
      problem: /streams\[1\]\.subscription/,
    },
    {
      name: 'gcs without a bucket',
      env: { CASCADE_STREAMS: doc(), CASCADE_STORAGE: 'gcs' },
      problem: /CASCADE_BUCKET/,
    },
    {
      name: 'buckets that disagree',
      env: {
        CASCADE_STREAMS: doc({ bucket: 'one' }),
        CASCADE_STORAGE: 'gcs',
        CASCADE_BUCKET: 'two',
      },
      problem: /CASCADE_BUCKET/,
    },
    {
      name: 'a key file path',
      env: { CASCADE_STREAMS: doc(), GOOGLE_APPLICATION_CREDENTIALS: '/tmp/key.json' },
      problem: /GOOGLE_APPLICATION_CREDENTIALS/,
    },
    {
      name: 'a malformed secret version',
      env: { CASCADE_STREAMS: doc(), CASCADE_CREDENTIALS_SECRET: 'my-secret' },
      problem: /CASCADE_CREDENTIALS_SECRET/,
    },
    {
      name: 'unknown field in the document',
      env: { CASCADE_STREAMS: doc({ colour: 'blue' }) },
      problem: /CASCADE_STREAMS/,
    },
  ];
  for (const row of table) {
    it(`refuses ${row.name}`, () => {
      const problems = problemsOf(() => loadConfig(row.env, { readFile: () => doc() }));
      assert.ok(
        problems.some((p) => row.problem.test(p.name)),
        `expected a problem matching ${row.problem}, got ${JSON.stringify(problems)}`,
      );
    });
  }

  it('explains the alternatives when it refuses a key file', () => {
    const problems = problemsOf(() =>
      loadConfig({ CASCADE_STREAMS: doc(), GOOGLE_APPLICATION_CREDENTIALS: '/tmp/key.json' }),
    );
    const expected = problems[0]?.expected ?? '';
    assert.match(expected, /CASCADE_CREDENTIALS_JSON/);
    assert.match(expected, /CASCADE_CREDENTIALS_SECRET/);
    assert.match(expected, /ambient identity/);
  });

  it('accepts a key file only with the local-development flag', () => {
    const config = loadConfig({
      CASCADE_STREAMS: doc(),
      GOOGLE_APPLICATION_CREDENTIALS: '/tmp/key.json',
      CASCADE_ALLOW_KEY_FILE: 'true',
    });
    assert.equal(config.credentials.allowKeyFile, true);
    assert.equal(config.credentials.keyFilePath, '/tmp/key.json');
  });

  it('treats empty variables as unset', () => {
    const config = loadConfig({
      CASCADE_STREAMS: doc(),
      CASCADE_BUCKET: '',
      CASCADE_LOG_LEVEL: '',
    });
    assert.equal(config.logLevel, 'info');
  });

  it('documents every variable it reads, with a description', () => {
    const names = ENV_VARS.map((v) => v.name);
    assert.equal(new Set(names).size, names.length);
    for (const v of ENV_VARS) assert.ok(v.description.length > 10, v.name);
    assert.equal(ENV_VARS.find((v) => v.name === 'CASCADE_STORAGE')?.default, 'fs');
    assert.equal(ENV_VARS.find((v) => v.name === 'CASCADE_CREDENTIALS_JSON')?.secret, true);
  });
});
