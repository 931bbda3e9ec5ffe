import { CascadeError } from '../errors.ts';
import type { ObjectStore } from '../storage/index.ts';
import { readHeadHint } from './head-hint.ts';
import { headHintName, parseTailObjectName, tailFolder, tailObjectName } from './names.ts';
import { type DataObjectMetadata, decodeObjectMetadata } from './object-metadata.ts';
import { decodeHeader } from './record-format.ts';
import type { StreamSettings } from './types.ts';

/** What an appender needs to know about a data object it did not write. */
export interface ObjectIds {
  base: number;
  count: number;
  ingestMs: number;
  batchId: string;
  messageIds: string[];
}

/** Bytes fetched by the first header read; most headers fit, larger ones cost a second read. */
const FIRST_HEADER_READ = 64 * 1024;
/** Header reads in flight at once during a cold start. */
const SCAN_CONCURRENCY = 8;

/**
 * Learns a data object's record count and message ids with one ranged read of
 * its Avro header (two when the header is larger than the first read).
 */
export async function readObjectIds(store: ObjectStore, name: string): Promise<ObjectIds> {
  const first = await store.get(name, { range: { start: 0, end: FIRST_HEADER_READ - 1 } });
  const meta = decodeObjectMetadata(name, first.metadata);
  let prefix = first.bytes;
  if (meta.headerBytes > prefix.byteLength) {
    prefix = (await store.get(name, { range: { start: 0, end: meta.headerBytes - 1 } })).bytes;
  }
  const header = decodeHeader(prefix);
  if (!header || header.messageIds.length !== meta.recordCount) {
    throw new CascadeError('CORRUPT_DATA', `${name}: header and metadata disagree`, {
      details: { name, recordCount: meta.recordCount, ids: header?.messageIds.length },
    });
  }
  return {
    base: meta.baseOffset,
    count: meta.recordCount,
    ingestMs: Math.floor(meta.ingestTimeMicros / 1000),
    batchId: header.batchId,
    messageIds: header.messageIds,
  };
}

/** One data object as a listing shows it. */
export interface ListedObject {
  name: string;
  meta: DataObjectMetadata;
}

/**
 * Lists a partition's data objects from `fromBase` on (all of them when
 * undefined), checking that they are contiguous.
 */
export async function* listTail(
  store: ObjectStore,
  stream: StreamSettings,
  partition: number,
  fromBase?: number,
): AsyncGenerator<ListedObject> {
  const prefix = tailFolder(stream, partition);
  const startOffset =
    fromBase === undefined ? undefined : tailObjectName(stream, partition, fromBase);
  let expected: number | undefined;
  for await (const info of store.list({ prefix, startOffset, pageSize: 1000 })) {
    const base = parseTailObjectName(info.name);
    if (base === undefined) continue;
    const meta = decodeObjectMetadata(info.name, info.metadata);
    if (meta.baseOffset !== base || (expected !== undefined && base !== expected)) {
      throw new CascadeError('CORRUPT_DATA', `${info.name}: offsets are not contiguous`, {
        details: { name: info.name, expected, base: meta.baseOffset },
      });
    }
    expected = base + meta.recordCount;
    yield { name: info.name, meta };
  }
}

/**
 * Cold start: finds a partition's head without scanning it from the start
 * (the head hint says where the dedup window begins; the listing from there
 * is strongly consistent) and reads the ids of every object ingested at or
 * after `windowStartMs`, in offset order.
 */
export async function scanPartition(
  store: ObjectStore,
  stream: StreamSettings,
  partition: number,
  windowStartMs: number,
): Promise<{ head: number; recent: ObjectIds[] }> {
  const hint = await readHeadHint(store, headHintName(stream, partition));
  let listed = await collect(store, stream, partition, hint?.dedupFrom);
  // A hint naming an object that is not there (e.g. a future compaction
  // removed it) falls back to a listing from the start.
  if (hint && hint.dedupFrom > 0 && listed[0]?.meta.baseOffset !== hint.dedupFrom) {
    listed = await collect(store, stream, partition, undefined);
  }
  const last = listed.at(-1);
  const head = last ? last.meta.baseOffset + last.meta.recordCount : 0;
  const wanted = listed.filter((o) => o.meta.ingestTimeMicros / 1000 >= windowStartMs);
  const recent: ObjectIds[] = new Array(wanted.length);
  let next = 0;
  const worker = async () => {
    while (next < wanted.length) {
      const i = next++;
      recent[i] = await readObjectIds(store, wanted[i]!.name);
    }
  };
  await Promise.all(Array.from({ length: Math.min(SCAN_CONCURRENCY, wanted.length) }, worker));
  return { head, recent };
}

async function collect(
  store: ObjectStore,
  stream: StreamSettings,
  partition: number,
  fromBase: number | undefined,
): Promise<ListedObject[]> {
  const out: ListedObject[] = [];
  for await (const object of listTail(store, stream, partition, fromBase)) out.push(object);
  return out;
}
