import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../../src/config/index.ts';
import {
  type BannerInfo,
  demoMessage,
  formatProgress,
  functionEnv,
  parseStackOptions,
  publishCommand,
  pushAuthPlan,
  renderBanner,
  resourceNames,
} from '../../../src/local/stack/index.ts';

const CWD = '/repo';
const INHERITED = { PATH: '/usr/bin', HOME: '/home/me' };

describe('function environment', () => {
  it('local emulator: push auth on with the emulator certificates, fs storage', () => {
    // Prepare
    const options = parseStackOptions(['--project=proj-1'], {}, CWD);
    const auth = pushAuthPlan(options, 'http://127.0.0.1:4000/oauth2/v1/certs');
    // Act
    const env = functionEnv(options, auth, INHERITED);
    // Assess
    assert.equal(env.CASCADE_PUSH_AUTH, 'on');
    assert.equal(env.CASCADE_OIDC_CERTS_URL, 'http://127.0.0.1:4000/oauth2/v1/certs');
    assert.equal(env.CASCADE_STORAGE, 'fs');
    assert.equal(env.CASCADE_DATA_DIR, '/repo/.local-data');
    assert.equal(env.PUBSUB_EMULATOR_HOST, '127.0.0.1:8085');
    assert.equal(env.GOOGLE_CLOUD_PROJECT, 'proj-1');
    assert.equal(env.PATH, '/usr/bin');
    // The functions accept exactly this environment.
    const config = loadConfig(env);
    assert.deepEqual(config.pushAuth, {
      enabled: true,
      certsUrl: 'http://127.0.0.1:4000/oauth2/v1/certs',
    });
    const stream = config.streams[0];
    assert.equal(stream?.name, 'demo');
    assert.equal(stream?.partitions, 4);
    assert.equal(stream?.subscription, 'projects/proj-1/subscriptions/demo-push');
    assert.equal(stream?.topic, 'projects/proj-1/topics/demo');
    assert.deepEqual(stream?.pushAuth, {
      audience: 'http://127.0.0.1:8080/',
      email: 'cascade-push@proj-1.iam.gserviceaccount.com',
    });
  });

  it('only variables of the configuration schema, plus PATH and HOME', () => {
    const options = parseStackOptions([], { CASCADE_CREDENTIALS_JSON: '{}' }, CWD);
    const env = functionEnv(options, pushAuthPlan(options, 'http://c/'), INHERITED);
    for (const name of Object.keys(env)) {
      assert.match(name, /^(CASCADE_[A-Z_]+|GOOGLE_CLOUD_PROJECT|PUBSUB_EMULATOR_HOST|PATH|HOME)$/);
    }
    assert.equal(env.CASCADE_CREDENTIALS_JSON, '{}');
  });

  it('another emulator: push auth off, and the reason is given', () => {
    const options = parseStackOptions([], { PUBSUB_EMULATOR_HOST: 'localhost:8681' }, CWD);
    const auth = pushAuthPlan(options);
    assert.equal(auth.enabled, false);
    assert.match(auth.enabled ? '' : auth.reason, /localhost:8681/);
    const env = functionEnv(options, auth, INHERITED);
    assert.equal(env.CASCADE_PUSH_AUTH, 'off');
    assert.equal(env.PUBSUB_EMULATOR_HOST, 'localhost:8681');
    assert.equal(env.CASCADE_OIDC_CERTS_URL, undefined);
    assert.equal(loadConfig(env).pushAuth.enabled, false);
  });

  it('Cloud Storage emulator: gcs backend with the bucket and the emulator host', () => {
    const options = parseStackOptions([], { STORAGE_EMULATOR_HOST: 'http://127.0.0.1:4443' }, CWD);
    const env = functionEnv(options, pushAuthPlan(options, 'http://c/'), INHERITED);
    assert.equal(env.CASCADE_STORAGE, 'gcs');
    assert.equal(env.CASCADE_BUCKET, 'cascade-local');
    assert.equal(env.STORAGE_EMULATOR_HOST, 'http://127.0.0.1:4443');
    assert.equal(env.CASCADE_DATA_DIR, undefined);
    assert.deepEqual(loadConfig(env).storage, {
      kind: 'gcs',
      bucket: 'cascade-local',
      emulatorHost: 'http://127.0.0.1:4443',
    });
  });

  it('real Pub/Sub: Google-signed tokens for the public endpoint, no emulator host', () => {
    const options = parseStackOptions(
      [
        '--pubsub=gcp',
        '--push-endpoint=https://t.example/',
        '--push-service-account=push@p.iam.gserviceaccount.com',
        '--project=real-proj',
      ],
      {},
      CWD,
    );
    const auth = pushAuthPlan(options);
    const env = functionEnv(options, auth, INHERITED);
    assert.equal(env.PUBSUB_EMULATOR_HOST, undefined);
    assert.equal(env.CASCADE_OIDC_CERTS_URL, undefined);
    assert.deepEqual(loadConfig(env).streams[0]?.pushAuth, {
      audience: 'https://t.example/',
      email: 'push@p.iam.gserviceaccount.com',
    });
  });
});

describe('banner', () => {
  function info(argv: string[], env: Record<string, string> = {}): BannerInfo {
    const options = parseStackOptions(argv, env, CWD);
    const auth = pushAuthPlan(options, 'http://127.0.0.1:4000/oauth2/v1/certs');
    return {
      options,
      pubsubHost: options.pubsub.kind === 'emulator' ? options.pubsub.host : '127.0.0.1:8085',
      pushEndpoint: 'http://127.0.0.1:8080/',
      auth,
      ...resourceNames(options),
      urls: {
        ingest: 'http://127.0.0.1:8080/',
        api: 'http://127.0.0.1:8081/',
        scheduler: 'http://127.0.0.1:8082/',
      },
    };
  }

  it('says what runs where, how to publish and how to read back', () => {
    const text = renderBanner(info([]));
    assert.match(text, /Pub\/Sub +Cascade emulator at 127\.0\.0\.1:8085/);
    assert.match(text, /api +http:\/\/127\.0\.0\.1:8081\/v1\/streams/);
    assert.match(text, /storage +filesystem \/repo\/\.local-data/);
    assert.match(
      text,
      /with OIDC \(audience http:\/\/127\.0\.0\.1:8080\/, cascade-push@cascade-local/,
    );
    assert.match(
      text,
      /curl -s 'http:\/\/127\.0\.0\.1:8081\/v1\/streams\/demo\/partitions\/0\/records\?offset=0&limit=10'/,
    );
    assert.match(text, /npm start -- --demo/);
    assert.doesNotMatch(text, /WARNING/);
  });

  it('warns loudly when push authentication is off', () => {
    const text = renderBanner(info([], { PUBSUB_EMULATOR_HOST: 'localhost:8681' }));
    assert.match(text, /WARNING: push authentication is OFF/);
    assert.match(text, /external emulator at localhost:8681/);
  });

  it('the publish command targets the topic and the emulator', () => {
    const command = publishCommand(info(['--topic=orders', '--project=p-1234']));
    assert.match(
      command,
      /^PUBSUB_EMULATOR_HOST=127\.0\.0\.1:8085 METADATA_SERVER_DETECTION=none node -e "/,
    );
    assert.match(command, /projectId:'p-1234'/);
    assert.match(command, /topic\('orders'/);
  });
});

describe('demo messages and progress', () => {
  it('demo messages are deterministic, keyed by customer, with attributes', () => {
    const at = new Date('2026-01-01T00:00:00Z');
    const a = demoMessage(11, at);
    assert.deepEqual(a, demoMessage(11, at));
    assert.equal(a.orderingKey, 'customer-3');
    assert.deepEqual(a.attributes, {
      source: 'cascade-demo',
      customer: 'customer-3',
      type: 'order.created',
      seq: '11',
    });
    const event = JSON.parse(a.data.toString('utf8')) as { seq: number; at: string };
    assert.equal(event.seq, 11);
    assert.equal(event.at, '2026-01-01T00:00:00.000Z');
    assert.equal(demoMessage(10, at).attributes.type, 'order.cancelled');
  });

  it('formats offsets per partition with the total', () => {
    assert.equal(
      formatProgress('demo', [3, 0, 5]),
      '[log] stream demo offsets p0=3 p1=0 p2=5 (8 records)',
    );
    assert.equal(
      formatProgress('demo', [1, 1], { published: 4, failed: 1 }),
      '[log] demo published 4 (1 failed) · stream demo offsets p0=1 p1=1 (2 records)',
    );
  });
});
