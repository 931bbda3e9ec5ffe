import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../../src/config/index.ts';
import { createPushVerifier, Ingestor } from '../../../src/ingest/index.ts';
import { StreamWriter } from '../../../src/log/index.ts';
import { createCaptureLogger } from '../../../src/observability/index.ts';
import { MemoryStore } from '../../../src/storage/index.ts';
import {
  type OidcIssuer,
  startOidcIssuer,
  tamperPayload,
  unsignedToken,
} from '../../support/oidc-issuer.ts';

const AUDIENCE = 'https://ingest.example/orders';
const EMAIL = 'push@p.iam.gserviceaccount.com';
const SUB = 'projects/p/subscriptions/orders-push';
const OTHER_AUDIENCE = 'https://ingest.example/audit';

const streams = loadConfig({
  CASCADE_STREAMS: JSON.stringify({
    streams: [
      {
        name: 'orders',
        subscription: SUB,
        lingerMs: 1,
        pushAuth: { audience: AUDIENCE, email: EMAIL },
      },
      {
        name: 'audit',
        subscription: 'projects/p/subscriptions/audit-push',
        lingerMs: 1,
        pushAuth: { audience: OTHER_AUDIENCE, email: EMAIL },
      },
    ],
  }),
}).streams;

const body = new TextEncoder().encode(
  JSON.stringify({
    message: { data: 'aGk=', messageId: '1', publishTime: '2026-01-01T00:00:00Z' },
    subscription: SUB,
  }),
);

describe('authenticated push (OIDC tokens checked against a local certificate endpoint)', () => {
  let issuer: OidcIssuer;
  before(async () => {
    issuer = await startOidcIssuer();
  });
  after(async () => {
    await issuer.stop();
  });

  function setup() {
    const store = new MemoryStore();
    const logger = createCaptureLogger();
    const ingestor = new Ingestor({
      streams,
      store,
      logger,
      createWriter: (stream) => new StreamWriter({ store, stream }),
      verifier: createPushVerifier({
        certsUrl: issuer.certsUrl,
        audiences: [AUDIENCE, OTHER_AUDIENCE],
      }),
    });
    return { store, logger, ingestor };
  }

  const good = { aud: AUDIENCE, email: EMAIL, email_verified: true, sub: '1234' };

  it('accepts a valid token for the stream and stores the message', async () => {
    const { ingestor, store } = setup();
    const answer = await ingestor.handlePush({
      headers: { authorization: `Bearer ${issuer.token(good)}` },
      body,
      query: {},
    });
    assert.equal(answer.status, 200);
    let objects = 0;
    for await (const _ of store.list()) objects++;
    assert.ok(objects > 0);
    await ingestor.close();
  });

  const now = () => Math.floor(Date.now() / 1000);
  const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const cases: { name: string; authorization: () => string | undefined; status: number }[] = [
    { name: 'missing header', authorization: () => undefined, status: 401 },
    { name: 'not a bearer token', authorization: () => 'Basic dXNlcjpwYXNz', status: 401 },
    { name: 'garbage token', authorization: () => 'Bearer not.a.jwt', status: 401 },
    {
      name: 'wrong audience',
      authorization: () => `Bearer ${issuer.token({ ...good, aud: 'https://evil.example' })}`,
      status: 401,
    },
    {
      name: "another stream's audience",
      authorization: () => `Bearer ${issuer.token({ ...good, aud: OTHER_AUDIENCE })}`,
      status: 403,
    },
    {
      name: 'wrong email',
      authorization: () =>
        `Bearer ${issuer.token({ ...good, email: 'evil@x.iam.gserviceaccount.com' })}`,
      status: 403,
    },
    {
      name: 'email not verified',
      authorization: () => `Bearer ${issuer.token({ ...good, email_verified: false })}`,
      status: 403,
    },
    {
      name: 'expired',
      authorization: () =>
        `Bearer ${issuer.token({ ...good, iat: now() - 7200, exp: now() - 3600 })}`,
      status: 401,
    },
    {
      name: 'wrong issuer',
      authorization: () => `Bearer ${issuer.token({ ...good, iss: 'https://evil.example' })}`,
      status: 401,
    },
    {
      name: 'unsigned (alg none)',
      authorization: () => `Bearer ${unsignedToken(good)}`,
      status: 401,
    },
    {
      name: 'tampered payload',
      authorization: () =>
        `Bearer ${tamperPayload(issuer.token({ ...good, email: 'other@x.iam.gserviceaccount.com' }), good)}`,
      status: 401,
    },
    {
      name: 'signed by another key',
      authorization: () => `Bearer ${issuer.token(good, { key: otherKey })}`,
      status: 401,
    },
    {
      name: 'unknown key id',
      authorization: () => `Bearer ${issuer.token(good, { kid: 'nope' })}`,
      status: 401,
    },
  ];
  for (const row of cases) {
    it(`refuses ${row.name} with ${row.status} and writes nothing`, async () => {
      const { ingestor, store, logger } = setup();
      const authorization = row.authorization();
      const answer = await ingestor.handlePush({
        headers: authorization === undefined ? {} : { authorization },
        body,
        query: {},
      });
      assert.equal(answer.status, row.status);
      const error = (answer.body as { error: { code: number; status: string; message: string } })
        .error;
      assert.equal(error.code, row.status);
      assert.equal(error.status, row.status === 401 ? 'UNAUTHENTICATED' : 'PERMISSION_DENIED');
      const token = authorization?.split(' ')[1];
      if (token && token.length > 20) {
        assert.ok(!error.message.includes(token), 'the answer must not echo the token');
        assert.ok(!logger.text().includes(token), 'the logs must not hold the token');
      }
      for await (const _ of store.list()) assert.fail('nothing may be written');
    });
  }

  it('fetches the certificates once per instance and caches them', async () => {
    const { ingestor } = setup();
    const before = issuer.fetches;
    for (let i = 0; i < 3; i++) {
      const answer = await ingestor.handlePush({
        headers: { authorization: `Bearer ${issuer.token(good)}` },
        body,
        query: {},
      });
      assert.equal(answer.status, 200);
    }
    assert.equal(issuer.fetches - before, 1);
    await ingestor.close();
  });
});
