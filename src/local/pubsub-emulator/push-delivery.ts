import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Logger } from '../../observability/index.ts';
import type { OidcSigner } from './oidc-signer.ts';
import { buildPushRequest, type PushRequest } from './push-request.ts';
import type { EmulatorState, PushAttacher } from './state.ts';
import type { Consumer, EmulatedSubscription } from './subscription.ts';
import type { Lease } from './types.ts';

/** Push delivery tuning. */
export interface PushOptions {
  /** Request timeout; a timeout nacks. Default: the subscription's ack deadline. */
  timeoutMs?: number;
  /** Most requests in flight per subscription. Default 256. */
  maxOutstanding?: number;
}

/** Status codes the real service treats as an ack; everything else nacks. */
export const PUSH_ACK_CODES: ReadonlySet<number> = new Set([102, 200, 201, 202, 204]);

const INITIAL_WINDOW = 4;
const DEFAULT_MAX_OUTSTANDING = 256;

/**
 * Delivers a push subscription's messages by HTTP POST. Like the real
 * service it starts with a small window of concurrent requests, widens it on
 * success and halves it on failure, and sends one message per ordering key
 * at a time; a failed message is nacked and comes back after its backoff.
 */
class PushConsumer implements Consumer {
  outstandingMessages = 0;
  outstandingBytes = 0;
  readonly perKeyLimit = 1;
  private window = INITIAL_WINDOW;
  private closed = false;
  private readonly sub: EmulatedSubscription;
  private readonly deps: PushDeps;
  private readonly agents: Agents;

  constructor(sub: EmulatedSubscription, deps: PushDeps, agents: Agents) {
    this.sub = sub;
    this.deps = deps;
    this.agents = agents;
  }

  capacity(): { messages: number; bytes: number } {
    if (this.closed) return { messages: 0, bytes: 0 };
    return { messages: this.window - this.outstandingMessages, bytes: Number.POSITIVE_INFINITY };
  }

  ackDeadlineMs(): number {
    // The lease outlives the request so a slow endpoint times out before it expires.
    return Math.max(this.ackDeadline(), this.timeoutMs() + 1000);
  }

  deliver(leases: Lease[]): void {
    for (const lease of leases) void this.send(lease);
  }

  close(): void {
    this.closed = true;
  }

  private ackDeadline(): number {
    return (this.sub.resource.ackDeadlineSeconds ?? 10) * 1000;
  }

  private timeoutMs(): number {
    return this.deps.options.timeoutMs ?? this.ackDeadline();
  }

  private async send(lease: Lease): Promise<void> {
    const config = this.sub.resource.pushConfig ?? {};
    const endpoint = config.pushEndpoint ?? '';
    let code: number | undefined;
    try {
      const withAttempt = Boolean(this.sub.resource.deadLetterPolicy?.deadLetterTopic);
      const request = buildPushRequest(
        config,
        {
          message: lease.message,
          subscription: this.sub.name,
          deliveryAttempt: withAttempt ? lease.attempt : undefined,
        },
        this.deps.signer,
      );
      code = await post(this.agents, endpoint, request, this.timeoutMs());
    } catch (error) {
      this.deps.logger.debug(
        { subscription: this.sub.name, error: String(error) },
        'push request failed',
      );
    }
    if (this.closed) return;
    const max = this.deps.options.maxOutstanding ?? DEFAULT_MAX_OUTSTANDING;
    if (code !== undefined && PUSH_ACK_CODES.has(code)) {
      this.sub.queue.ack(lease.ackId);
      this.window = Math.min(max, this.window + 1);
    } else {
      this.deps.logger.debug(
        { subscription: this.sub.name, status: code, attempt: lease.attempt },
        'push nacked',
      );
      this.sub.queue.nack(lease, this.deps.state.clock.now());
      this.window = Math.max(1, Math.floor(this.window / 2));
    }
    this.sub.kick();
  }
}

/** What push senders share: state, signer, options and one pool of keep-alive connections. */
export interface PushDeps {
  state: EmulatorState;
  signer: OidcSigner;
  options: PushOptions;
  logger: Logger;
}

interface Agents {
  http: HttpAgent;
  https: HttpsAgent;
}

/** POSTs the request and resolves to the response status once the body is drained. */
function post(
  agents: Agents,
  endpoint: string,
  request: PushRequest,
  timeoutMs: number,
): Promise<number> {
  const url = new URL(endpoint);
  const https = url.protocol === 'https:';
  return new Promise((resolve, reject) => {
    const req = (https ? httpsRequest : httpRequest)(
      url,
      {
        method: 'POST',
        headers: request.headers,
        agent: https ? agents.https : agents.http,
        signal: AbortSignal.timeout(timeoutMs),
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
        response.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(request.body);
  });
}

/** Push delivery for one emulator: attaches senders to push subscriptions. */
export interface PushDelivery {
  readonly attach: PushAttacher;
  /** Closes the keep-alive connections so a stopped emulator leaves nothing open. */
  close(): void;
}

/** Creates the push delivery of one emulator instance. */
export function createPushDelivery(deps: PushDeps): PushDelivery {
  const agents: Agents = {
    http: new HttpAgent({ keepAlive: true, maxSockets: 256 }),
    https: new HttpsAgent({ keepAlive: true, maxSockets: 256 }),
  };
  return {
    attach: (sub) => new PushConsumer(sub, deps, agents),
    close() {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}
