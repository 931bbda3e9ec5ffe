import { z } from 'zod';
import type { ApiContext } from './api-context.ts';
import { defineRoute, type Route } from './router.ts';
import {
  errorSchema,
  noQuery,
  streamDetailSchema,
  streamParams,
  streamSummarySchema,
} from './schemas.ts';
import { partitionStats, quarantineCount } from './stream-stats.ts';

/** `GET /v1/streams` and `GET /v1/streams/{stream}`. */
export function streamRoutes(ctx: ApiContext): Route[] {
  const summary = (s: ApiContext['catalog']['streams'][number]) => ({
    name: s.name,
    partitions: s.partitions,
    subscription: s.subscription,
    topic: s.topic ?? null,
  });
  return [
    defineRoute({
      method: 'GET',
      path: '/v1/streams',
      operationId: 'listStreams',
      summary: 'The configured streams.',
      query: noQuery,
      responses: {
        200: {
          description: 'Streams',
          schema: z.object({ streams: z.array(streamSummarySchema) }),
        },
      },
      async handle() {
        return { status: 200, body: { streams: ctx.catalog.streams.map(summary) } };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/v1/streams/{stream}',
      operationId: 'getStream',
      summary:
        'A stream with, per partition, its start and end offsets, publish-time range and bytes, and its quarantine count.',
      params: streamParams,
      query: noQuery,
      responses: {
        200: { description: 'The stream', schema: streamDetailSchema },
        404: { description: 'Unknown stream', schema: errorSchema },
      },
      async handle({ params }) {
        const stream = ctx.catalog.stream(params.stream);
        const partitionStatsList = [];
        for (let p = 0; p < stream.partitions; p++) {
          partitionStatsList.push(await partitionStats(ctx.catalog.store, stream, p));
        }
        return {
          status: 200,
          body: {
            ...summary(stream),
            partitionStats: partitionStatsList,
            quarantined: await quarantineCount(ctx.catalog.store, stream),
          },
        };
      },
    }),
  ];
}
