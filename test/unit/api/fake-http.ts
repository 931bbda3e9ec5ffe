// An in-memory stand-in for node's ServerResponse, enough for the router
// (status, headers, write with backpressure, end), so API unit tests need no sockets.
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { ApiRequest, Router } from '../../../src/api/index.ts';

export class FakeResponse extends EventEmitter {
  statusCode = 200;
  headers: Record<string, string> = {};
  chunks: string[] = [];
  destroyed = false;
  ended = false;

  setHeader(name: string, value: string | number): this {
    this.headers[name.toLowerCase()] = String(value);
    return this;
  }

  write(chunk: string | Uint8Array): boolean {
    this.chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString());
    return true;
  }

  end(chunk?: string | Uint8Array): this {
    if (chunk !== undefined) this.write(chunk);
    this.ended = true;
    return this;
  }

  destroy(): this {
    this.destroyed = true;
    return this;
  }

  get text(): string {
    return this.chunks.join('');
  }

  json(): {
    error?: { code: number; status: string; message: string; details: Record<string, unknown> };
  } & Record<string, unknown> {
    return JSON.parse(this.text);
  }
}

/** Sends one request through the router and returns the finished response. */
export async function call(
  router: Router,
  method: string,
  url: string,
  options: { headers?: Record<string, string>; body?: string | Uint8Array; json?: unknown } = {},
): Promise<FakeResponse> {
  const headers: Record<string, string> = { ...options.headers };
  let body: Uint8Array | undefined;
  if (options.json !== undefined) {
    body = Buffer.from(JSON.stringify(options.json));
    headers['content-type'] ??= 'application/json';
  } else if (options.body !== undefined) {
    body = typeof options.body === 'string' ? Buffer.from(options.body) : options.body;
  }
  const request: ApiRequest = { method, url, headers, body };
  const res = new FakeResponse();
  await router.serve(request, res as unknown as ServerResponse);
  return res;
}
