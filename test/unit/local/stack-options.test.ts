import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CascadeError } from '../../../src/errors.ts';
import { parseStackOptions } from '../../../src/local/stack/index.ts';

const CWD = '/home/me/cascade';

describe('parseStackOptions', () => {
  it('defaults: own emulator, fixed ports, filesystem under .local-data', () => {
    // Prepare / Act
    const options = parseStackOptions([], {}, CWD);
    // Assess
    assert.deepEqual(options.ports, { pubsub: 8085, ingest: 8080, api: 8081, scheduler: 8082 });
    assert.deepEqual(options.pubsub, { kind: 'local' });
    assert.deepEqual(options.storage, { kind: 'fs', dataDir: '/home/me/cascade/.local-data' });
    assert.equal(options.host, '127.0.0.1');
    assert.equal(options.projectId, 'cascade-local');
    assert.equal(options.demo, false);
    assert.equal(options.demoRate, 20);
    assert.equal(options.schedulerIntervalMs, 60_000);
    assert.equal(options.logLevel, 'warn');
    assert.deepEqual(options.stream, {
      name: 'demo',
      topic: 'demo',
      subscription: 'demo-push',
      partitions: 4,
    });
    assert.deepEqual(options.credentialsEnv, {});
  });

  it('reads every flag', () => {
    const options = parseStackOptions(
      [
        '--demo',
        '--demo-rate=50',
        '--data-dir',
        '/tmp/x',
        '--pubsub-port=9085',
        '--ingest-port=9080',
        '--api-port=9081',
        '--scheduler-port=9082',
        '--scheduler-interval=0',
        '--project=my-proj-1',
        '--topic=orders',
        '--subscription=orders-push',
        '--stream=orders',
        '--partitions=8',
        '--log-level=debug',
      ],
      {},
      CWD,
    );
    assert.equal(options.demo, true);
    assert.equal(options.demoRate, 50);
    assert.deepEqual(options.storage, { kind: 'fs', dataDir: '/tmp/x' });
    assert.deepEqual(options.ports, { pubsub: 9085, ingest: 9080, api: 9081, scheduler: 9082 });
    assert.equal(options.schedulerIntervalMs, 0);
    assert.equal(options.projectId, 'my-proj-1');
    assert.deepEqual(options.stream, {
      name: 'orders',
      topic: 'orders',
      subscription: 'orders-push',
      partitions: 8,
    });
    assert.equal(options.logLevel, 'debug');
  });

  it('uses an emulator named by PUBSUB_EMULATOR_HOST instead of starting one', () => {
    const options = parseStackOptions([], { PUBSUB_EMULATOR_HOST: 'localhost:8681' }, CWD);
    assert.deepEqual(options.pubsub, { kind: 'emulator', host: 'localhost:8681' });
  });

  it('stores in a Cloud Storage emulator named by STORAGE_EMULATOR_HOST', () => {
    const env = { STORAGE_EMULATOR_HOST: 'http://127.0.0.1:4443' };
    assert.deepEqual(parseStackOptions([], env, CWD).storage, {
      kind: 'gcs',
      bucket: 'cascade-local',
      emulatorHost: 'http://127.0.0.1:4443',
    });
    assert.deepEqual(parseStackOptions(['--bucket=logs-1'], env, CWD).storage, {
      kind: 'gcs',
      bucket: 'logs-1',
      emulatorHost: 'http://127.0.0.1:4443',
    });
  });

  it('real GCP: a bucket without an emulator, Pub/Sub with a public push endpoint', () => {
    const options = parseStackOptions(
      [
        '--bucket=my-archive',
        '--pubsub=gcp',
        '--push-endpoint=https://abc.tunnel.example/',
        '--push-service-account=push@p.iam.gserviceaccount.com',
      ],
      {
        GOOGLE_CLOUD_PROJECT: 'my-project',
        CASCADE_CREDENTIALS_SECRET: 'projects/p/secrets/s/versions/1',
      },
      CWD,
    );
    assert.deepEqual(options.storage, { kind: 'gcs', bucket: 'my-archive' });
    assert.deepEqual(options.pubsub, {
      kind: 'gcp',
      pushEndpoint: 'https://abc.tunnel.example/',
      pushServiceAccount: 'push@p.iam.gserviceaccount.com',
    });
    assert.equal(options.projectId, 'my-project');
    assert.deepEqual(options.credentialsEnv, {
      CASCADE_CREDENTIALS_SECRET: 'projects/p/secrets/s/versions/1',
    });
  });

  it('--project wins over GOOGLE_CLOUD_PROJECT', () => {
    const options = parseStackOptions(
      ['--project=from-flag'],
      { GOOGLE_CLOUD_PROJECT: 'from-env' },
      CWD,
    );
    assert.equal(options.projectId, 'from-flag');
  });

  const refused: { name: string; argv: string[]; env?: Record<string, string>; message: RegExp }[] =
    [
      { name: 'unknown flag', argv: ['--nope'], message: /Unknown option '--nope'.*--help/ },
      { name: 'positional', argv: ['extra'], message: /extra/ },
      {
        name: 'port not a number',
        argv: ['--ingest-port=abc'],
        message: /--ingest-port must be a port/,
      },
      { name: 'port 0', argv: ['--api-port=0'], message: /--api-port must be a port/ },
      { name: 'port too big', argv: ['--pubsub-port=70000'], message: /--pubsub-port/ },
      {
        name: 'two functions on one port',
        argv: ['--api-port=8080'],
        message: /--ingest-port and --api-port are both 8080/,
      },
      {
        name: 'demo rate 0',
        argv: ['--demo-rate=0'],
        message: /--demo-rate must be a whole number/,
      },
      { name: 'partitions 0', argv: ['--partitions=0'], message: /--partitions/ },
      {
        name: 'negative interval',
        argv: ['--scheduler-interval=-1'],
        message: /--scheduler-interval/,
      },
      { name: 'bad log level', argv: ['--log-level=loud'], message: /--log-level must be one of/ },
      { name: 'bad stream name', argv: ['--stream=Orders!'], message: /--stream must match/ },
      { name: 'bad topic', argv: ['--topic=x'], message: /--topic must be a Pub\/Sub id/ },
      { name: 'goog topic', argv: ['--topic=google-things'], message: /--topic/ },
      { name: 'bad project', argv: ['--project=A'], message: /--project must be a project id/ },
      {
        name: 'bad bucket',
        argv: ['--bucket=B'],
        message: /--bucket must be a Cloud Storage bucket/,
      },
      { name: 'empty data dir', argv: ['--data-dir='], message: /--data-dir must not be empty/ },
      { name: 'pubsub mode', argv: ['--pubsub=aws'], message: /--pubsub takes only "gcp"/ },
      {
        name: 'gcp without endpoint',
        argv: ['--pubsub=gcp'],
        message: /needs --push-endpoint https/,
      },
      {
        name: 'gcp with http endpoint',
        argv: ['--pubsub=gcp', '--push-endpoint=http://x.example/'],
        message: /needs --push-endpoint https/,
      },
      {
        name: 'gcp without service account',
        argv: ['--pubsub=gcp', '--push-endpoint=https://x.example/'],
        message: /--push-service-account/,
      },
      {
        name: 'gcp and an emulator',
        argv: ['--pubsub=gcp'],
        env: { PUBSUB_EMULATOR_HOST: 'localhost:8681' },
        message: /contradict/,
      },
      {
        name: 'push endpoint without gcp',
        argv: ['--push-endpoint=https://x.example/'],
        message: /apply only with --pubsub gcp/,
      },
      {
        name: 'malformed PUBSUB_EMULATOR_HOST',
        argv: [],
        env: { PUBSUB_EMULATOR_HOST: 'http://localhost:8681' },
        message: /PUBSUB_EMULATOR_HOST must be host:port/,
      },
    ];
  for (const c of refused) {
    it(`refuses: ${c.name}`, () => {
      assert.throws(
        () => parseStackOptions(c.argv, c.env ?? {}, CWD),
        (error: unknown) =>
          error instanceof CascadeError &&
          error.code === 'INVALID_ARGUMENT' &&
          c.message.test(error.message),
      );
    });
  }

  it('the Pub/Sub port may repeat another when no emulator is started', () => {
    const options = parseStackOptions(['--pubsub-port=8080'], { PUBSUB_EMULATOR_HOST: 'h:1' }, CWD);
    assert.equal(options.ports.pubsub, 8080);
  });
});
