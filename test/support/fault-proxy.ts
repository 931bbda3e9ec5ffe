// A small HTTP proxy that sits between a client (e.g. GcsStore) and a server
// (e.g. fake-gcs-server) and injects the faults real Cloud Storage shows:
// 429/503 answers, connections dropped before the request reaches the server,
// connections dropped AFTER the server has committed a write (the client
// never sees the answer), answers cut off mid-body or damaged in transit, and
// fixed latency on every request.
//
// Faults are scripted with rules, tried in order for each request; the first
// rule that matches and fires decides. A rule fires for its first `times`
// matching requests (after skipping `skip` of them), or — with `probability`
// — for a seeded-random share of them, so a run can be repeated exactly.
//
// @example
//   const proxy = await startFaultProxy({ target: gcs.endpoint, seed: 7 });
//   const store = new GcsStore({ bucket, apiEndpoint: proxy.url });
//   const rule = proxy.addRule({ match: isUpload, action: { kind: 'drop-after-forward' }, times: 1 });
//   await store.put('x', data, { ifGenerationMatch: 0 }); // succeeds exactly once
//   assert.equal(rule.fired, 1);
//
// Latency only: startFaultProxy({ target, latencyMs: 40 }) — what the
// benchmarks use for `gcs+40ms/...` cases.
import { Agent, createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** What the proxy knows about a request when it picks a rule. */
export interface RequestInfo {
  method: string;
  /** Path without the query, e.g. /upload/storage/v1/b/bkt/o */
  path: string;
  query: URLSearchParams;
  /** 1-based count of requests the proxy has seen. */
  index: number;
}

export type FaultAction =
  /** Answer with this status (default body: a Cloud Storage style JSON error); never forwarded. */
  | { kind: 'status'; status: number; body?: string; headers?: Record<string, string> }
  /** Close the client's connection before anything is forwarded. */
  | { kind: 'drop-before-forward' }
  /** Forward, let the server answer in full (the write is committed), then close the client's connection. */
  | { kind: 'drop-after-forward' }
  /** Forward, pass the server's status, headers and this many body bytes on, then close the connection. */
  | { kind: 'drop-mid-response'; afterBytes: number }
  /** Forward, and flip the bits of the body byte at this offset (damage in transit). */
  | { kind: 'corrupt-response'; atByte: number }
  /** Forward after this much extra delay. */
  | { kind: 'delay'; ms: number };

export interface FaultRule {
  /** Which requests the rule applies to (default: all). */
  match?: (request: RequestInfo) => boolean;
  action: FaultAction;
  /** Fire for at most this many matching requests (default: no limit). */
  times?: number;
  /** Let this many matching requests through before firing. */
  skip?: number;
  /** Fire for a matching request with this probability, from the proxy's seeded RNG (default 1). */
  probability?: number;
}

export interface ActiveRule extends FaultRule {
  /** Matching requests seen so far. */
  readonly matched: number;
  /** Times the rule fired. */
  readonly fired: number;
  /** Stops the rule from firing again. */
  remove(): void;
}

export interface ProxyEvent {
  index: number;
  method: string;
  path: string;
  action: FaultAction['kind'] | 'forward';
  /** The server's status, when the request was forwarded. */
  status?: number;
}

export interface FaultProxy {
  /** Base URL to hand to the client, e.g. http://127.0.0.1:41235 */
  readonly url: string;
  /** Every request seen, in order (bounded to the last 10,000). */
  readonly events: readonly ProxyEvent[];
  addRule(rule: FaultRule): ActiveRule;
  clearRules(): void;
  /** Fixed delay added to every request before it is handled. */
  setLatency(ms: number): void;
  close(): Promise<void>;
}

export interface FaultProxyOptions {
  /** Where requests go, e.g. http://127.0.0.1:4443 */
  target: string;
  latencyMs?: number;
  /** Seed of the RNG behind `probability` (default 1). */
  seed?: number;
  rules?: FaultRule[];
}

/** Predicates for common Cloud Storage JSON API requests. */
export const gcsRequests = {
  upload: (r: RequestInfo) => r.method === 'POST' && r.path.includes('/upload/storage/v1/'),
  create: (r: RequestInfo) =>
    r.method === 'POST' &&
    r.path.includes('/upload/storage/v1/') &&
    r.query.get('ifGenerationMatch') === '0',
  replace: (r: RequestInfo) =>
    r.method === 'POST' &&
    r.path.includes('/upload/storage/v1/') &&
    Number(r.query.get('ifGenerationMatch') ?? '0') > 0,
  delete: (r: RequestInfo) => r.method === 'DELETE',
  media: (r: RequestInfo) => r.method === 'GET' && r.query.get('alt') === 'media',
  metadata: (r: RequestInfo) =>
    r.method === 'GET' && r.query.get('alt') !== 'media' && /\/o\/[^/]+$/.test(r.path),
  list: (r: RequestInfo) => r.method === 'GET' && /\/o$/.test(r.path),
  any: () => true,
} as const;

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const target = new URL(options.target);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const random = mulberry32(options.seed ?? 1);
  const rules: (FaultRule & { matched: number; fired: number; removed: boolean })[] = [];
  const events: ProxyEvent[] = [];
  const sockets = new Set<Socket>();
  let latencyMs = options.latencyMs ?? 0;
  let index = 0;

  const pick = (info: RequestInfo): FaultAction | undefined => {
    for (const rule of rules) {
      if (rule.removed || (rule.match && !rule.match(info))) continue;
      rule.matched++;
      if (rule.matched <= (rule.skip ?? 0)) continue;
      if (rule.times !== undefined && rule.fired >= rule.times) continue;
      if (rule.probability !== undefined && random() >= rule.probability) continue;
      rule.fired++;
      return rule.action;
    }
    return undefined;
  };

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    const info: RequestInfo = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      index: ++index,
    };
    const action = pick(info);
    const event: ProxyEvent = {
      index: info.index,
      method: info.method,
      path: info.path,
      action: action?.kind ?? 'forward',
    };
    events.push(event);
    if (events.length > 10_000) events.shift();
    if (latencyMs > 0) await sleep(latencyMs);
    if (action?.kind === 'delay') await sleep(action.ms);
    if (action?.kind === 'status') return answer(req, res, action);
    if (action?.kind === 'drop-before-forward') {
      req.socket.destroy();
      return;
    }
    forward(req, res, action, event);
  });

  const forward = (
    req: IncomingMessage,
    res: ServerResponse,
    action: FaultAction | undefined,
    event: ProxyEvent,
  ) => {
    const upstream = request(
      {
        protocol: target.protocol,
        hostname: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: target.host },
        agent,
      },
      (answer) => {
        event.status = answer.statusCode;
        if (action?.kind === 'drop-after-forward') {
          // Read the whole answer so the server is done, then hang up on the client.
          answer.resume();
          answer.on('end', () => req.socket.destroy());
          return;
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        if (action?.kind === 'drop-mid-response') {
          let passed = 0;
          answer.on('data', (chunk: Buffer) => {
            const room = action.afterBytes - passed;
            if (room > 0) res.write(chunk.subarray(0, room));
            passed += chunk.length;
            if (passed >= action.afterBytes) {
              answer.destroy();
              // Let the bytes already written reach the client, then hang up.
              res.once('drain', () => req.socket.destroy());
              setTimeout(() => req.socket.destroy(), 20);
            }
          });
          return;
        }
        if (action?.kind === 'corrupt-response') {
          let seen = 0;
          answer.on('data', (chunk: Buffer) => {
            const at = action.atByte - seen;
            seen += chunk.length;
            if (at >= 0 && at < chunk.length) {
              const copy = Buffer.from(chunk);
              copy[at] = (copy[at] ?? 0) ^ 0xff;
              res.write(copy);
            } else {
              res.write(chunk);
            }
          });
          answer.on('end', () => res.end());
          return;
        }
        answer.pipe(res);
      },
    );
    upstream.on('error', () => req.socket.destroy());
    req.on('error', () => upstream.destroy());
    req.pipe(upstream);
  };

  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  for (const rule of options.rules ?? []) addRule(rule);

  function addRule(rule: FaultRule): ActiveRule {
    const active = { ...rule, matched: 0, fired: 0, removed: false };
    rules.push(active);
    return Object.assign(active, {
      remove() {
        active.removed = true;
      },
    });
  }

  return {
    url: `http://127.0.0.1:${port}`,
    events,
    addRule,
    clearRules() {
      for (const rule of rules) rule.removed = true;
      rules.length = 0;
    },
    setLatency(ms: number) {
      latencyMs = ms;
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      agent.destroy();
    },
  };
}

function answer(
  req: IncomingMessage,
  res: ServerResponse,
  action: Extract<FaultAction, { kind: 'status' }>,
): void {
  const body =
    action.body ??
    JSON.stringify({
      error: {
        code: action.status,
        message: `injected by the fault proxy (HTTP ${action.status})`,
        errors: [
          {
            reason: action.status === 429 ? 'rateLimitExceeded' : 'backendError',
            message: 'injected',
          },
        ],
      },
    });
  // Drain the request first so the client is not left writing into a closed socket.
  req.resume();
  req.on('end', () => {
    res.writeHead(action.status, { 'content-type': 'application/json', ...action.headers });
    res.end(body);
  });
}

/** A small seeded PRNG (mulberry32): same seed, same sequence. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
