import type { HttpFunction } from '@google-cloud/functions-framework';
import { type ApiRuntime, apiErrorResponse, nodeHandler } from '../src/api/index.ts';

/**
 * `api`: the HTTP API under `/v1`. Routing, validation, auth and the error
 * shape all live in src/api; this only hands the request over.
 */
export function apiHttp(runtime: () => Promise<ApiRuntime>): HttpFunction {
  return async (req, res) => {
    let api: ApiRuntime;
    try {
      api = await runtime();
    } catch (error) {
      const { status, body } = apiErrorResponse(error);
      res.status(status).json(body);
      return;
    }
    await nodeHandler(api.router)(req, res);
  };
}
