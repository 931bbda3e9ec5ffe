import type { HttpFunction } from '@google-cloud/functions-framework';
import type { Ingestor } from '../src/ingest/index.ts';

/**
 * `ingest`: the HTTP function a Pub/Sub push subscription calls. It hands
 * the exact request bytes to the ingestor and answers with its status and
 * JSON body (2xx only once the message is durable or a proven duplicate).
 */
export function ingestHttp(ingestor: Ingestor): HttpFunction {
  return async (req, res) => {
    const answer = await ingestor.handlePush({
      headers: req.headers,
      body: req.rawBody ?? Buffer.alloc(0),
      query: req.query as Record<string, unknown>,
    });
    res.status(answer.status).json(answer.body);
  };
}
