import { Server, ServerCredentials } from '@grpc/grpc-js';
import { type Logger, noopLogger } from '../../observability/index.ts';
import { type CertServer, startCertServer } from './cert-server.ts';
import { createEmulatorClock, type EmulatorClock } from './clock.ts';
import { createOidcSigner, GOOGLE_ISSUER } from './oidc-signer.ts';
import { loadPubSubServices } from './protos.ts';
import { publisherService } from './publisher-service.ts';
import { createPushDelivery, type PushOptions } from './push-delivery.ts';
import { unaryHandlers } from './rpc.ts';
import { snapshotHandlers } from './snapshots.ts';
import { EmulatorState } from './state.ts';
import { streamingPullHandler } from './streaming-pull.ts';
import { subscriptionHandlers } from './subscriber-service.ts';

/** Options of {@link startPubSubEmulator}; every field is optional. */
export interface PubSubEmulatorOptions {
  /** Interface to listen on, for gRPC and the certificate endpoint. Default `127.0.0.1`. */
  host?: string;
  /** gRPC port; 0 (the default) picks a free one. */
  port?: number;
  /** Certificate endpoint port; 0 (the default) picks a free one. */
  certsPort?: number;
  /** The emulator's clock; default: wall clock that tests can advance. */
  clock?: EmulatorClock;
  logger?: Logger;
  push?: PushOptions;
}

/** A running emulator. */
export interface PubSubEmulator {
  /** `host:port`, the value for `PUBSUB_EMULATOR_HOST` or the client's `apiEndpoint`. */
  readonly host: string;
  readonly port: number;
  /** Google-format PEM certificate map (like googleapis.com/oauth2/v1/certs) for push tokens. */
  readonly certsUrl: string;
  /** The same keys as a JWKS (like googleapis.com/oauth2/v3/certs). */
  readonly jwksUrl: string;
  /** The `iss` of push tokens: `https://accounts.google.com`, as Google's. */
  readonly issuer: string;
  /** The emulator's clock: `clock.advance(ms)` expires deadlines and retention without sleeping. */
  readonly clock: EmulatorClock;
  /** Stops serving, ends open streams and push deliveries, and frees the ports. */
  stop(): Promise<void>;
}

// Housekeeping period in real time: how promptly expired leases and elapsed
// backoffs are noticed between clock advances.
const TICK_MS = 100;
// The real service accepts publish requests up to 10 MB; gRPC's default receive limit is 4 MB.
const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/**
 * Starts Cascade's local Pub/Sub emulator: the Publisher and Subscriber gRPC
 * services the official `@google-cloud/pubsub` client talks to, push delivery
 * with OIDC tokens, and an HTTP endpoint serving the token-signing keys.
 *
 * @example
 * const emulator = await startPubSubEmulator();
 * const pubsub = new PubSub({ projectId: 'demo', apiEndpoint: emulator.host, emulatorMode: true });
 * // or: process.env.PUBSUB_EMULATOR_HOST = emulator.host
 * const [topic] = await pubsub.createTopic('orders');
 * // push verifiers: new OAuth2Client({ endpoints: { oauth2FederatedSignonPemCertsUrl: emulator.certsUrl } })
 * await emulator.stop();
 */
export async function startPubSubEmulator(
  options: PubSubEmulatorOptions = {},
): Promise<PubSubEmulator> {
  const host = options.host ?? '127.0.0.1';
  const clock = options.clock ?? createEmulatorClock();
  const logger = (options.logger ?? noopLogger).child({ component: 'pubsub-emulator' });
  const state = new EmulatorState(clock);
  const signer = await createOidcSigner();
  const push = createPushDelivery({ state, signer, options: options.push ?? {}, logger });
  state.setPushAttacher(push.attach);

  const services = loadPubSubServices();
  const server = new Server({
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': -1,
  });
  server.addService(services.publisher, publisherService(state, logger));
  server.addService(services.subscriber, {
    ...unaryHandlers(
      { ...subscriptionHandlers(state, logger), ...snapshotHandlers(state) },
      logger,
    ),
    StreamingPull: streamingPullHandler(state, logger),
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(
      `${host}:${options.port ?? 0}`,
      ServerCredentials.createInsecure(),
      (err, p) => (err ? reject(err) : resolve(p)),
    );
  });
  let certs: CertServer;
  try {
    certs = await startCertServer(signer, host, options.certsPort ?? 0);
  } catch (error) {
    // Leave nothing listening when the emulator cannot start whole.
    server.forceShutdown();
    push.close();
    throw error;
  }

  const timer = setInterval(() => state.tick(), TICK_MS);
  timer.unref();
  const unsubscribe = clock.onAdvance(() => state.tick());
  const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  logger.info(
    { host: address, certsUrl: `${certs.url}/oauth2/v1/certs` },
    'pubsub emulator listening',
  );

  let stopped: Promise<void> | undefined;
  return {
    host: address,
    port,
    certsUrl: `${certs.url}/oauth2/v1/certs`,
    jwksUrl: `${certs.url}/oauth2/v3/certs`,
    issuer: GOOGLE_ISSUER,
    clock,
    stop() {
      stopped ??= (async () => {
        clearInterval(timer);
        unsubscribe();
        // Cancel the calls first so open streams end as UNAVAILABLE rather than NOT_FOUND.
        server.forceShutdown();
        state.close();
        push.close();
        await certs.close();
      })();
      return stopped;
    },
  };
}
