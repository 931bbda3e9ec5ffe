import type { StreamConfig } from '../config/index.ts';
import { quarantinePrefix } from '../ingest/index.ts';
import {
  decodeObjectMetadata,
  manifestName,
  parseTailObjectName,
  readManifest,
  tailFolder,
} from '../log/index.ts';
import type { ObjectStore } from '../storage/index.ts';
import { isoFromMicros } from './record-json.ts';

/** One partition's extent as the API reports it. */
export interface PartitionStats {
  partition: number;
  startOffset: number;
  endOffset: number;
  minPublishTime: string | null;
  maxPublishTime: string | null;
  bytes: number;
  segments: number;
}

/**
 * A partition's offsets, publish-time range and stored bytes: the manifest
 * for compacted segments plus one listing of the uncompacted tail (object
 * metadata carries counts and times, so no data object is read).
 */
export async function partitionStats(
  store: ObjectStore,
  stream: StreamConfig,
  partition: number,
): Promise<PartitionStats> {
  const { manifest } = await readManifest(store, manifestName(stream, partition));
  let minTime = Number.POSITIVE_INFINITY;
  let maxTime = Number.NEGATIVE_INFINITY;
  let bytes = 0;
  for (const s of manifest.segments) {
    minTime = Math.min(minTime, s.minPublishTimeMicros);
    maxTime = Math.max(maxTime, s.maxPublishTimeMicros);
    bytes += s.data.size;
  }
  let end = manifest.tailStart;
  for await (const info of store.list({ prefix: tailFolder(stream, partition), pageSize: 1000 })) {
    const base = parseTailObjectName(info.name);
    if (base === undefined) continue;
    const meta = decodeObjectMetadata(info.name, info.metadata);
    // Objects already merged into a segment wait for deletion; they are not extra data.
    if (meta.baseOffset + meta.recordCount <= manifest.tailStart) continue;
    minTime = Math.min(minTime, meta.minPublishTimeMicros);
    maxTime = Math.max(maxTime, meta.maxPublishTimeMicros);
    bytes += info.size;
    end = Math.max(end, meta.baseOffset + meta.recordCount);
  }
  const empty = end === manifest.startOffset;
  return {
    partition,
    startOffset: manifest.startOffset,
    endOffset: end,
    minPublishTime: empty || !Number.isFinite(minTime) ? null : isoFromMicros(minTime),
    maxPublishTime: empty || !Number.isFinite(maxTime) ? null : isoFromMicros(maxTime),
    bytes,
    segments: manifest.segments.length,
  };
}

/** How many messages a stream has in quarantine (a listing, no reads). */
export async function quarantineCount(store: ObjectStore, stream: StreamConfig): Promise<number> {
  let count = 0;
  for await (const info of store.list({ prefix: quarantinePrefix(stream), pageSize: 1000 })) {
    if (info.name.endsWith('.json')) count++;
  }
  return count;
}
