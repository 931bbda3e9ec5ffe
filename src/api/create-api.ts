import type { IncomingHttpHeaders } from 'node:http';
import { z } from 'zod';
import type { ApiContext } from './api-context.ts';
import { bearerChecker } from './bearer-auth.ts';
import { openApiDocument } from './openapi.ts';
import { quarantineRoutes } from './quarantine-routes.ts';
import { recordsRoutes } from './records-routes.ts';
import { replayRoutes } from './replay-routes.ts';
import { defineRoute, type Route, Router } from './router.ts';
import { noQuery } from './schemas.ts';
import { streamRoutes } from './stream-routes.ts';
import { subscriptionRoutes } from './subscription-routes.ts';

/** The API's version, shown in the OpenAPI document. */
export const API_VERSION = '1.0.0';

/**
 * Builds the API's router: every route, the OpenAPI document at
 * `/v1/openapi.json` (generated from the same route table) and, when a token
 * is given, bearer authentication in front of all of it.
 *
 * @example
 * const router = createApi(context, { bearerToken });
 * await router.serve({ method, url, headers, body }, res);
 */
export function createApi(ctx: ApiContext, options: { bearerToken?: string } = {}): Router {
  const routes: Route[] = [
    ...streamRoutes(ctx),
    ...recordsRoutes(ctx),
    ...replayRoutes(ctx),
    ...subscriptionRoutes(ctx),
    ...quarantineRoutes(ctx),
  ];
  let document: unknown;
  const openapi = defineRoute({
    method: 'GET',
    path: '/v1/openapi.json',
    operationId: 'getOpenApi',
    summary: 'This document.',
    query: noQuery,
    responses: { 200: { description: 'OpenAPI 3.1', schema: z.record(z.string(), z.unknown()) } },
    async handle() {
      document ??= openApiDocument([...routes, openapi], { version: API_VERSION });
      return { status: 200, body: document };
    },
  });
  routes.push(openapi);
  const check = options.bearerToken === undefined ? undefined : bearerChecker(options.bearerToken);
  return new Router(routes, {
    ...(check
      ? { authorize: (headers: IncomingHttpHeaders) => check(headerValue(headers.authorization)) }
      : {}),
  });
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
