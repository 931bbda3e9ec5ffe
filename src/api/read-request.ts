import type { IncomingMessage, ServerResponse } from 'node:http';
import { apiErrorResponse, HttpRefusal } from './api-error.ts';
import { type ApiRequest, MAX_BODY_BYTES, type Router } from './router.ts';

/**
 * An {@link ApiRequest} from a Node request. Behind functions-framework the
 * body was already read (`rawBody`); on a plain `node:http` server (local
 * mode, tests) it is read here, refusing more than {@link MAX_BODY_BYTES}.
 */
export async function readRequest(
  req: IncomingMessage & { rawBody?: Buffer },
): Promise<ApiRequest> {
  const base = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers };
  if (req.rawBody !== undefined) return { ...base, body: req.rawBody };
  if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'DELETE') {
    req.resume();
    return { ...base, body: undefined };
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > MAX_BODY_BYTES) {
      req.resume();
      throw new HttpRefusal(413, 'PAYLOAD_TOO_LARGE', `the body exceeds ${MAX_BODY_BYTES} bytes`);
    }
    chunks.push(chunk);
  }
  return { ...base, body: Buffer.concat(chunks) };
}

/**
 * A `(req, res)` handler for functions-framework or `node:http` around a
 * router: reads the request, then serves it; a refused body is answered in
 * the API's error shape like everything else.
 *
 * @example
 * http.createServer(nodeHandler(router)).listen(8080, '127.0.0.1');
 */
export function nodeHandler(
  router: Router,
): (req: IncomingMessage & { rawBody?: Buffer }, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    let request: ApiRequest;
    try {
      request = await readRequest(req);
    } catch (error) {
      const { status, headers, body } = apiErrorResponse(error);
      for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
      res.statusCode = status;
      res.setHeader('content-type', 'application/json; charset=utf-8');
      res.end(JSON.stringify(body));
      return;
    }
    await router.serve(request, res);
  };
}
