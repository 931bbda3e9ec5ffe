import { z } from 'zod';
import { replayRequestSchema } from '../replay/index.ts';
import type { ApiContext } from './api-context.ts';
import { defineRoute, type Route } from './router.ts';
import {
  dryRunSchema,
  errorSchema,
  jobViewSchema,
  limitQuery,
  noQuery,
  replayParams,
} from './schemas.ts';

/** Replay jobs: create (or dry-run), get with progress, list, cancel. */
export function replayRoutes(ctx: ApiContext): Route[] {
  return [
    defineRoute({
      method: 'POST',
      path: '/v1/replays',
      operationId: 'createReplay',
      summary:
        'Starts a replay of a range (offsets or times, per partition) into a topic; dryRun answers with the count and bytes instead.',
      query: noQuery,
      body: replayRequestSchema,
      responses: {
        200: { description: 'Dry run: what would be published', schema: dryRunSchema },
        201: { description: 'The created job', schema: jobViewSchema },
        400: { description: 'Invalid request (e.g. an inverted range)', schema: errorSchema },
        404: { description: 'Unknown stream or partition', schema: errorSchema },
        415: { description: 'Body is not application/json', schema: errorSchema },
        416: { description: 'from is below the partition start', schema: errorSchema },
      },
      async handle({ body }) {
        const result = await ctx.replays.create(body);
        return { status: 'dryRun' in result ? 200 : 201, body: result };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/v1/replays',
      operationId: 'listReplays',
      summary: 'Replay jobs, oldest first.',
      query: limitQuery,
      responses: {
        200: { description: 'Jobs', schema: z.object({ replays: z.array(jobViewSchema) }) },
      },
      async handle({ query }) {
        return { status: 200, body: { replays: await ctx.replays.list(query.limit ?? 1000) } };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/v1/replays/{id}',
      operationId: 'getReplay',
      summary: 'A job with its progress per partition (published, total, rate, ETA, state).',
      params: replayParams,
      query: noQuery,
      responses: {
        200: { description: 'The job', schema: jobViewSchema },
        404: { description: 'No such job', schema: errorSchema },
      },
      async handle({ params }) {
        return { status: 200, body: await ctx.replays.get(params.id) };
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/v1/replays/{id}',
      operationId: 'cancelReplay',
      summary: 'Cancels a job; a running slice stops at its next checkpoint.',
      params: replayParams,
      query: noQuery,
      responses: {
        200: { description: 'The job, cancelled (or already finished)', schema: jobViewSchema },
        404: { description: 'No such job', schema: errorSchema },
      },
      async handle({ params }) {
        return { status: 200, body: await ctx.replays.cancel(params.id) };
      },
    }),
  ];
}
