import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { OAuth2Client } from 'google-auth-library';
import { eventually, type Harness, startHarness, subscriptionPath, topicPath } from './harness.ts';

interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

type Responder = (request: Received, response: ServerResponse) => void;

/** A local push endpoint that records every request and answers with `respond`. */
async function startEndpoint(
  respond: Responder,
): Promise<{ url: string; requests: Received[]; server: Server }> {
  const requests: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const received = { path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
      requests.push(received);
      respond(received, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests, server };
}

const SERVICE_ACCOUNT = 'pusher@cascade-test.iam.gserviceaccount.com';

describe('push delivery', () => {
  let h: Harness;
  const servers: Server[] = [];
  before(async () => {
    h = await startHarness({ push: { timeoutMs: 500 } });
  });
  after(async () => {
    await h.close();
    for (const server of servers) {
      server.closeAllConnections();
      server.close();
    }
  });
  const endpoint = async (respond: Responder) => {
    const started = await startEndpoint(respond);
    servers.push(started.server);
    return started;
  };

  it('posts the wrapped envelope with an OIDC token that google-auth-library verifies', async () => {
    // Prepare
    const ep = await endpoint((_, res) => res.writeHead(204).end());
    const audience = 'https://cascade.example/ingest';
    const [topic] = await h.pubsub.createTopic('push-topic');
    await topic.createSubscription('push-sub', {
      pushConfig: {
        pushEndpoint: `${ep.url}/push`,
        oidcToken: { serviceAccountEmail: SERVICE_ACCOUNT, audience },
      },
    });

    // Act
    const id = await topic.publishMessage({
      data: Buffer.from('{"hello":"world"}'),
      attributes: { source: 'test' },
      orderingKey: 'order-7',
    });
    await eventually(() => ep.requests.length >= 1);
    const request = ep.requests[0]!;
    const token = (request.headers.authorization ?? '').replace(/^Bearer /, '');
    const verifier = new OAuth2Client({
      endpoints: { oauth2FederatedSignonPemCertsUrl: h.emulator.certsUrl },
    });
    const ticket = await verifier.verifyIdToken({ idToken: token, audience });
    const payload = ticket.getPayload();

    // Assess
    assert.equal(request.path, '/push');
    assert.equal(request.headers['content-type'], 'application/json');
    const envelope = JSON.parse(request.body.toString());
    const publishTime = envelope.message.publishTime;
    assert.deepEqual(envelope, {
      message: {
        attributes: { source: 'test' },
        data: Buffer.from('{"hello":"world"}').toString('base64'),
        messageId: id,
        message_id: id,
        orderingKey: 'order-7',
        publishTime,
        publish_time: publishTime,
      },
      subscription: subscriptionPath('push-sub'),
    });
    assert.ok(!Number.isNaN(Date.parse(publishTime)));
    assert.equal(payload?.email, SERVICE_ACCOUNT);
    assert.equal(payload?.email_verified, true);
    assert.equal(payload?.iss, h.emulator.issuer);
    assert.equal(payload?.aud, audience);
    // The same key is published as a JWKS.
    const jwks = (await (await fetch(h.emulator.jwksUrl)).json()) as { keys: { kid: string }[] };
    const [headerPart, payloadPart, signaturePart] = token.split('.');
    const kid = JSON.parse(Buffer.from(headerPart!, 'base64url').toString()).kid;
    const jwk = jwks.keys.find((k) => k.kid === kid);
    assert.ok(jwk);
    const key = createPublicKey({ key: jwk, format: 'jwk' });
    const signed = Buffer.from(`${headerPart}.${payloadPart}`);
    assert.ok(verify('sha256', signed, key, Buffer.from(signaturePart!, 'base64url')));
  });

  it('posts the raw body with metadata headers when unwrapped, and the default audience', async () => {
    // Prepare
    const ep = await endpoint((_, res) => res.writeHead(200).end('ok'));
    const [topic] = await h.pubsub.createTopic('raw-topic');
    await topic.createSubscription('raw-meta-sub', {
      pushConfig: {
        pushEndpoint: `${ep.url}/meta`,
        noWrapper: { writeMetadata: true },
        oidcToken: { serviceAccountEmail: SERVICE_ACCOUNT },
      },
    });
    await topic.createSubscription('raw-plain-sub', {
      pushConfig: { pushEndpoint: `${ep.url}/plain`, noWrapper: { writeMetadata: false } },
    });

    // Act
    const id = await topic.publishMessage({
      data: Buffer.from('raw bytes'),
      attributes: { 'x-custom': 'yes' },
    });
    await eventually(() => ep.requests.length >= 2);
    const meta = ep.requests.find((r) => r.path === '/meta')!;
    const plain = ep.requests.find((r) => r.path === '/plain')!;
    const token = (meta.headers.authorization ?? '').replace(/^Bearer /, '');
    const verifier = new OAuth2Client({
      endpoints: { oauth2FederatedSignonPemCertsUrl: h.emulator.certsUrl },
    });
    const ticket = await verifier.verifyIdToken({ idToken: token, audience: `${ep.url}/meta` });

    // Assess
    assert.equal(meta.body.toString(), 'raw bytes');
    assert.equal(meta.headers['x-goog-pubsub-message-id'], id);
    assert.equal(meta.headers['x-goog-pubsub-subscription-name'], subscriptionPath('raw-meta-sub'));
    assert.ok(!Number.isNaN(Date.parse(String(meta.headers['x-goog-pubsub-publish-time']))));
    assert.equal(meta.headers['x-custom'], 'yes');
    assert.equal(ticket.getPayload()?.aud, `${ep.url}/meta`);
    assert.equal(plain.body.toString(), 'raw bytes');
    assert.equal(plain.headers['x-goog-pubsub-message-id'], undefined);
    assert.equal(plain.headers.authorization, undefined);
  });

  it('sends one message per ordering key at a time, in order', async () => {
    // Prepare
    let inFlight = 0;
    let maxInFlight = 0;
    const ep = await endpoint((_, res) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      setTimeout(() => {
        inFlight--;
        res.writeHead(200).end();
      }, 5);
    });
    const [topic] = await h.pubsub.createTopic('push-ordered-topic');
    await topic.createSubscription('push-ordered-sub', {
      enableMessageOrdering: true,
      pushConfig: { pushEndpoint: `${ep.url}/ordered` },
    });
    topic.setPublishOptions({ messageOrdering: true });

    // Act
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        topic.publishMessage({ data: Buffer.from(String(i)), orderingKey: 'one-key' }),
      ),
    );
    await eventually(() => ep.requests.length >= 20);

    // Assess
    const order = ep.requests.map((r) =>
      Number(Buffer.from(JSON.parse(r.body.toString()).message.data, 'base64').toString()),
    );
    assert.deepEqual(
      order,
      Array.from({ length: 20 }, (_, i) => i),
    );
    assert.equal(maxInFlight, 1);
  });

  it('nacks failures and timeouts, backs off, and delivers everything once the endpoint recovers', async () => {
    // Prepare: the endpoint fails with 503 (and hangs on "slow") until it is healthy.
    let healthy = false;
    const ep = await endpoint((request, res) => {
      if (healthy) {
        res.writeHead(202).end();
        return;
      }
      const data = Buffer.from(
        JSON.parse(request.body.toString()).message.data,
        'base64',
      ).toString();
      if (data !== 'slow') res.writeHead(503).end('unavailable');
    });
    const [topic] = await h.pubsub.createTopic('flaky-topic');
    await topic.createSubscription('flaky-sub', {
      pushConfig: { pushEndpoint: `${ep.url}/flaky` },
      retryPolicy: { minimumBackoff: { seconds: 10 }, maximumBackoff: { seconds: 60 } },
    });
    const data = (r: Received) =>
      Buffer.from(JSON.parse(r.body.toString()).message.data, 'base64').toString();
    const payloads = ['slow', ...Array.from({ length: 19 }, (_, i) => `m${i}`)];

    // Act
    await h.publisher.publish({
      topic: topicPath('flaky-topic'),
      messages: payloads.map((p) => ({ data: Buffer.from(p) })),
    });
    await eventually(() => new Set(ep.requests.map(data)).size === payloads.length);
    await new Promise((resolve) => setTimeout(resolve, 700));
    const attemptsDuringBackoff = ep.requests.length;
    healthy = true;
    h.emulator.clock.advance(10_000);
    const delivered = (): Set<string> =>
      new Set(ep.requests.slice(attemptsDuringBackoff).map(data));
    await eventually(() => delivered().size === payloads.length);

    // Assess
    assert.equal(attemptsDuringBackoff, payloads.length, 'nothing is retried before its backoff');
    assert.deepEqual([...delivered()].sort(), [...payloads].sort());
    const [left] = await h.subscriber.pull({
      subscription: subscriptionPath('flaky-sub'),
      maxMessages: 10,
      returnImmediately: true,
    });
    assert.equal(left.receivedMessages?.length ?? 0, 0, 'every message was acked by the endpoint');
  });
});
