import { once } from 'node:events';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { z } from 'zod';
import { CascadeError } from '../errors.ts';
import { apiErrorResponse, HttpRefusal } from './api-error.ts';

/** An HTTP request as the API sees it: the body is raw bytes, parsed by the route's schema. */
export interface ApiRequest {
  method: string;
  /** Path and query, as in the request line. */
  url: string;
  headers: IncomingHttpHeaders;
  body: Uint8Array | undefined;
}

/** A handler's answer: a JSON document, or NDJSON text streamed with backpressure. */
export type Outcome =
  | { status: number; body: unknown }
  | { status: number; ndjson: AsyncIterable<string> };

/** One documented response of a route (for the OpenAPI document). */
export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
  /** The schema of one NDJSON line, when the route can stream. */
  ndjsonLine?: z.ZodType;
}

/** A route as the router and the OpenAPI generator see it. */
export interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  /** OpenAPI template, e.g. `/v1/streams/{stream}`; `{x}:verb` suffixes allowed. */
  path: string;
  operationId: string;
  summary: string;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  responses: Record<number, ResponseSpec>;
  handle(input: RouteInput<unknown, unknown, unknown>): Promise<Outcome>;
}

export interface RouteInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  request: ApiRequest;
}

/** Declares a route with its handler typed by its schemas. */
export function defineRoute<
  P extends z.ZodType = z.ZodType<unknown>,
  Q extends z.ZodType = z.ZodType<unknown>,
  B extends z.ZodType = z.ZodType<unknown>,
>(spec: {
  method: Route['method'];
  path: string;
  operationId: string;
  summary: string;
  params?: P;
  query?: Q;
  body?: B;
  responses: Record<number, ResponseSpec>;
  handle(input: RouteInput<z.output<P>, z.output<Q>, z.output<B>>): Promise<Outcome>;
}): Route {
  return spec as unknown as Route;
}

/** Largest request body the API reads. */
export const MAX_BODY_BYTES = 1024 * 1024;

interface CompiledRoute {
  route: Route;
  pattern: RegExp;
  names: string[];
}

function compile(route: Route): CompiledRoute {
  const names: string[] = [];
  const source = route.path
    .split(/(\{[a-zA-Z]+\})/)
    .map((part) => {
      const name = /^\{([a-zA-Z]+)\}$/.exec(part)?.[1];
      if (name === undefined) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(name);
      return '([^/]+?)';
    })
    .join('');
  return { route, pattern: new RegExp(`^${source}$`), names };
}

/** Turns zod issues into the `details` of a 400. */
function invalid(where: string, error: z.ZodError): CascadeError {
  const issues = error.issues.map((issue) => ({
    path: [where, ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));
  return new CascadeError(
    'INVALID_ARGUMENT',
    `invalid ${where}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
    { retryable: false, details: { issues } },
  );
}

function parseWith(schema: z.ZodType | undefined, value: unknown, where: string): unknown {
  if (!schema) return value;
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw invalid(where, parsed.error);
  return parsed.data;
}

function parseJsonBody(request: ApiRequest): unknown {
  const type = String(request.headers['content-type'] ?? '');
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    throw new HttpRefusal(415, 'UNSUPPORTED_MEDIA_TYPE', 'the body must be application/json', {
      details: { contentType: type },
    });
  }
  const bytes = request.body ?? new Uint8Array();
  if (bytes.byteLength > MAX_BODY_BYTES) {
    throw new HttpRefusal(413, 'PAYLOAD_TOO_LARGE', `the body exceeds ${MAX_BODY_BYTES} bytes`);
  }
  try {
    return JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString());
  } catch (error) {
    throw new CascadeError('BAD_REQUEST', 'the body is not valid JSON', {
      retryable: false,
      cause: error,
    });
  }
}

/**
 * A small router: matches method and path template, validates path
 * parameters, query and body with the route's zod schemas, runs the handler
 * and writes its outcome. Every failure is rendered in the one error shape.
 *
 * @example
 * const router = new Router(routes, { authorize: (h) => check(h.authorization) });
 * http.createServer(async (req, res) => router.serve(await toApiRequest(req), res));
 */
export class Router {
  readonly routes: readonly Route[];
  #compiled: CompiledRoute[];
  #authorize: (headers: IncomingHttpHeaders) => void;

  constructor(
    routes: readonly Route[],
    options: { authorize?: (headers: IncomingHttpHeaders) => void } = {},
  ) {
    this.routes = routes;
    this.#compiled = routes.map(compile);
    this.#authorize = options.authorize ?? (() => {});
  }

  /** Answers one request; never throws. */
  async serve(request: ApiRequest, res: ServerResponse): Promise<void> {
    let outcome: Outcome;
    try {
      outcome = await this.#dispatch(request);
    } catch (error) {
      const { status, headers, body } = apiErrorResponse(error);
      for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
      sendJson(res, status, body);
      return;
    }
    if ('body' in outcome) {
      sendJson(res, outcome.status, outcome.body);
      return;
    }
    await streamNdjson(res, outcome.status, outcome.ndjson);
  }

  async #dispatch(request: ApiRequest): Promise<Outcome> {
    // Authentication first, so an unauthenticated caller learns nothing, not even which routes exist.
    this.#authorize(request.headers);
    const url = new URL(request.url, 'http://api.invalid');
    const matches = this.#compiled
      .map((c) => ({ c, m: c.pattern.exec(url.pathname) }))
      .filter((x) => x.m !== null);
    if (matches.length === 0) {
      throw new CascadeError('NOT_FOUND', `no route ${url.pathname}`, { retryable: false });
    }
    const hit = matches.find((x) => x.c.route.method === request.method);
    if (!hit) {
      const allow = [...new Set(matches.map((x) => x.c.route.method))].join(', ');
      throw new HttpRefusal(405, 'METHOD_NOT_ALLOWED', `${request.method} is not allowed here`, {
        headers: { allow },
        details: { allow },
      });
    }
    const { route, names } = hit.c;
    const rawParams: Record<string, string> = {};
    for (const [i, name] of names.entries()) {
      try {
        rawParams[name] = decodeURIComponent(hit.m![i + 1]!);
      } catch (error) {
        throw new CascadeError('BAD_REQUEST', `path parameter ${name} is not valid`, {
          retryable: false,
          cause: error,
        });
      }
    }
    const rawQuery: Record<string, string> = {};
    for (const [key, value] of url.searchParams) {
      if (Object.hasOwn(rawQuery, key)) {
        throw new CascadeError('INVALID_ARGUMENT', `query parameter ${key} is repeated`, {
          retryable: false,
          details: { parameter: key },
        });
      }
      rawQuery[key] = value;
    }
    const params = parseWith(route.params, rawParams, 'path');
    const query = parseWith(route.query, rawQuery, 'query');
    const body = route.body ? parseWith(route.body, parseJsonBody(request), 'body') : undefined;
    return route.handle({ params, query, body, request });
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(text));
  res.end(text);
}

/**
 * Writes NDJSON pieces as they come, waiting for `drain` whenever the socket
 * buffer is full, so a slow client slows the read instead of growing memory.
 * A failure after the headers went out can only be signalled by cutting the
 * connection (the client sees a truncated stream, never a clean end).
 */
async function streamNdjson(
  res: ServerResponse,
  status: number,
  pieces: AsyncIterable<string>,
): Promise<void> {
  res.statusCode = status;
  res.setHeader('content-type', 'application/x-ndjson; charset=utf-8');
  try {
    for await (const piece of pieces) {
      if (res.destroyed) return;
      if (!res.write(piece)) {
        await Promise.race([once(res, 'drain'), once(res, 'close')]);
      }
    }
    res.end();
  } catch {
    res.destroy();
  }
}
