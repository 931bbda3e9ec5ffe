import { CascadeError } from '../errors.ts';
import type { LogReader } from '../log/index.ts';
import type { ApiContext } from './api-context.ts';
import { microsFromIso, recordJson } from './record-json.ts';
import { defineRoute, type Route } from './router.ts';
import {
  DEFAULT_JSON_LIMIT,
  errorSchema,
  MAX_JSON_LIMIT,
  MAX_NDJSON_LIMIT,
  partitionParams,
  recordPageSchema,
  recordSchema,
  recordsQuery,
} from './schemas.ts';

/** Bytes of NDJSON gathered before one socket write. */
const NDJSON_PIECE_BYTES = 64 * 1024;

function wantsNdjson(accept: string | undefined): boolean {
  return /application\/x-ndjson/i.test(accept ?? '');
}

/** Streams `count` records from `from` as NDJSON pieces of about 64 KiB. */
async function* ndjsonPieces(
  reader: LogReader,
  partition: number,
  from: number,
  count: number,
): AsyncGenerator<string> {
  if (count <= 0) return;
  let piece = '';
  for await (const chunk of reader.readFrom(partition, from, { maxRecords: count })) {
    for (const record of chunk.records) {
      piece += `${JSON.stringify(recordJson(record))}\n`;
      if (piece.length >= NDJSON_PIECE_BYTES) {
        yield piece;
        piece = '';
      }
    }
  }
  if (piece !== '') yield piece;
}

/** `GET …/records`: a JSON page with a `nextOffset` cursor, or an NDJSON stream. */
export function recordsRoutes(ctx: ApiContext): Route[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/v1/streams/{stream}/partitions/{partition}/records',
      operationId: 'readRecords',
      summary:
        'Records from an offset (or the first at or after a time). JSON pages by default; ' +
        'NDJSON streamed with backpressure when Accept is application/x-ndjson.',
      params: partitionParams,
      query: recordsQuery,
      responses: {
        200: {
          description: 'A page of records, or one record per NDJSON line',
          schema: recordPageSchema,
          ndjsonLine: recordSchema,
        },
        400: { description: 'Invalid parameters', schema: errorSchema },
        404: { description: 'Unknown stream or partition', schema: errorSchema },
        416: {
          description: 'Offset outside [startOffset, endOffset]; details give the range',
          schema: errorSchema,
        },
      },
      async handle({ params, query, request }) {
        const stream = ctx.catalog.stream(params.stream);
        ctx.catalog.checkPartition(stream, params.partition);
        const ndjson = wantsNdjson(request.headers.accept);
        const max = ndjson ? MAX_NDJSON_LIMIT : MAX_JSON_LIMIT;
        if (query.limit !== undefined && query.limit > max) {
          throw new CascadeError('INVALID_ARGUMENT', `limit must be at most ${max}`, {
            retryable: false,
            details: { limit: query.limit, max },
          });
        }
        const reader = ctx.catalog.reader(stream.name);
        const { start, end } = await reader.offsets(params.partition);
        let from: number;
        if (query.time !== undefined) {
          from = (await reader.offsetForTime(params.partition, microsFromIso(query.time))) ?? end;
          from = Math.max(from, start);
        } else {
          from = query.offset ?? start;
        }
        if (from < start || from > end) {
          throw new CascadeError(
            'OFFSET_OUT_OF_RANGE',
            `offset ${from} is outside partition ${params.partition}'s range [${start}, ${end}]`,
            {
              retryable: false,
              details: {
                partition: params.partition,
                offset: from,
                startOffset: start,
                endOffset: end,
              },
            },
          );
        }
        if (ndjson) {
          const count = Math.min(query.limit ?? Number.POSITIVE_INFINITY, end - from);
          return { status: 200, ndjson: ndjsonPieces(reader, params.partition, from, count) };
        }
        const limit = Math.min(query.limit ?? DEFAULT_JSON_LIMIT, end - from);
        const records = [];
        if (limit > 0) {
          for await (const chunk of reader.readFrom(params.partition, from, {
            maxRecords: limit,
          })) {
            for (const record of chunk.records) records.push(recordJson(record));
          }
        }
        return {
          status: 200,
          body: {
            stream: stream.name,
            partition: params.partition,
            records,
            nextOffset: records.length > 0 ? records.at(-1)!.offset + 1 : from,
            startOffset: start,
            endOffset: end,
          },
        };
      },
    }),
  ];
}
