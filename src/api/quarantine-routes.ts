import { z } from 'zod';
import { CascadeError } from '../errors.ts';
import { type QuarantineRecord, quarantinePrefix } from '../ingest/index.ts';
import type { OutgoingMessage } from '../replay/index.ts';
import type { ApiContext } from './api-context.ts';
import { isoFromMicros } from './record-json.ts';
import { defineRoute, type Route } from './router.ts';
import { errorSchema, listQuery, quarantineItemSchema, streamParams } from './schemas.ts';

const replayQuarantineBody = z.strictObject({
  topic: z.string().regex(/^projects\/[^/]+\/topics\/[^/]+$/, 'projects/<project>/topics/<name>'),
  limit: z.int().min(1).max(1000).default(100),
  pageToken: z.string().max(1024).optional(),
  dryRun: z.boolean().default(false),
});

/**
 * Quarantined messages: listed in publish-time order with their reason, and
 * republished page by page (the page token is the last object handled, so a
 * caller walks the whole quarantine by repeating the call).
 */
export function quarantineRoutes(ctx: ApiContext): Route[] {
  async function page(
    streamName: string,
    limit: number,
    pageToken: string | undefined,
  ): Promise<{
    items: { object: string; record: QuarantineRecord }[];
    nextPageToken: string | null;
  }> {
    const stream = ctx.catalog.stream(streamName);
    const prefix = quarantinePrefix(stream);
    if (pageToken !== undefined && !pageToken.startsWith(prefix)) {
      throw new CascadeError('INVALID_ARGUMENT', 'pageToken does not belong to this stream', {
        retryable: false,
      });
    }
    const items: { object: string; record: QuarantineRecord }[] = [];
    let more = false;
    for await (const info of ctx.catalog.store.list({
      prefix,
      ...(pageToken === undefined ? {} : { startOffset: `${pageToken}\u0000` }),
    })) {
      if (!info.name.endsWith('.json')) continue;
      if (items.length >= limit) {
        more = true;
        break;
      }
      const { bytes } = await ctx.catalog.store.get(info.name);
      items.push({ object: info.name, record: JSON.parse(Buffer.from(bytes).toString()) });
    }
    return { items, nextPageToken: more ? (items.at(-1)?.object ?? null) : null };
  }

  return [
    defineRoute({
      method: 'GET',
      path: '/v1/streams/{stream}/quarantine',
      operationId: 'listQuarantine',
      summary: 'Quarantined messages with the rule each broke, oldest publish time first.',
      params: streamParams,
      query: listQuery,
      responses: {
        200: {
          description: 'A page of quarantined messages',
          schema: z.object({
            messages: z.array(quarantineItemSchema),
            nextPageToken: z.string().nullable(),
          }),
        },
        404: { description: 'Unknown stream', schema: errorSchema },
      },
      async handle({ params, query }) {
        const { items, nextPageToken } = await page(
          params.stream,
          query.limit ?? 100,
          query.pageToken,
        );
        return {
          status: 200,
          body: {
            messages: items.map(({ object, record }) => ({
              object,
              reason: record.reason,
              messageId: record.messageId,
              publishTime: isoFromMicros(record.publishTimeMicros),
              receivedAt: record.receivedAt,
              orderingKey: record.orderingKey,
              attributes: record.attributes,
              dataBytes: record.dataBytes,
            })),
            nextPageToken,
          },
        };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/v1/streams/{stream}/quarantine:replay',
      operationId: 'replayQuarantine',
      summary:
        'Republishes a page of quarantined messages to a topic (original attributes plus cascade.stream, cascade.message_id, cascade.quarantine_object).',
      params: streamParams,
      body: replayQuarantineBody,
      responses: {
        200: {
          description: 'What was (or, for a dry run, would be) published',
          schema: z.object({
            dryRun: z.boolean(),
            count: z.int(),
            bytes: z.int(),
            nextPageToken: z.string().nullable(),
          }),
        },
        404: { description: 'Unknown stream', schema: errorSchema },
      },
      async handle({ params, body }) {
        const { items, nextPageToken } = await page(params.stream, body.limit, body.pageToken);
        const messages: OutgoingMessage[] = items.map(({ object, record }) => ({
          data: Buffer.from(record.data, 'base64'),
          orderingKey: record.orderingKey,
          attributes: {
            ...record.attributes,
            'cascade.stream': params.stream,
            'cascade.message_id': record.messageId,
            'cascade.quarantine_object': object,
          },
        }));
        const bytes = messages.reduce((n, m) => n + m.data.byteLength, 0);
        if (!body.dryRun && messages.length > 0) {
          if (!ctx.publisher) {
            throw new CascadeError('UNAVAILABLE', 'Pub/Sub is not configured for this deployment', {
              retryable: false,
            });
          }
          await ctx.publisher.publishBatch(body.topic, messages);
        }
        return {
          status: 200,
          body: { dryRun: body.dryRun, count: messages.length, bytes, nextPageToken },
        };
      },
    }),
  ];
}
