import { CascadeError } from '../errors.ts';
import type { ObjectStore } from '../storage/index.ts';
import type { CompactionPolicy } from './compactor.ts';
import { parseTailObjectName, tailFolder, tailObjectName } from './names.ts';
import { decodeObjectMetadata } from './object-metadata.ts';
import type { SegmentPlan } from './segment-writer.ts';
import type { StreamSettings } from './types.ts';

/** A tail object as the planner sees it in a listing. */
interface TailObject {
  name: string;
  base: number;
  count: number;
  size: number;
  ingestMs: number;
}

/**
 * Picks the next group of tail objects from `tailStart`: full (target bytes
 * or records reached) or, when short, old enough (`maxTailAgeMs`); never an
 * object younger than `minObjectAgeMs`, and never the newest object of the
 * partition (see {@link CompactionPolicy}). Undefined when nothing is due.
 */
export async function planSegment(
  store: ObjectStore,
  stream: StreamSettings,
  partition: number,
  tailStart: number,
  policy: CompactionPolicy,
  now: number,
): Promise<SegmentPlan | undefined> {
  const group: TailObject[] = [];
  let bytes = 0;
  let records = 0;
  let full = false;
  let hasNewer = false;
  for await (const object of listTailFrom(store, stream, partition, tailStart)) {
    if (full || now - object.ingestMs < policy.minObjectAgeMs) {
      hasNewer = true;
      break;
    }
    if (group.length > 0 && records + object.count > policy.targetSegmentRecords) {
      full = true;
      hasNewer = true;
      break;
    }
    group.push(object);
    bytes += object.size;
    records += object.count;
    full = bytes >= policy.targetSegmentBytes || records >= policy.targetSegmentRecords;
  }
  if (!hasNewer && group.length > 0) {
    // The newest object stays in the tail, so appenders always find the head there.
    const newest = group.pop()!;
    bytes -= newest.size;
    records -= newest.count;
    full = false;
  }
  const first = group[0];
  if (!first) return undefined;
  if (!full && now - first.ingestMs < policy.maxTailAgeMs) return undefined;
  return {
    base: first.base,
    end: first.base + records,
    sources: group.map(({ name, base, count }) => ({ name, base, count })),
  };
}

/** Tail objects from `tailStart` on, with sizes, checked for contiguity. */
async function* listTailFrom(
  store: ObjectStore,
  stream: StreamSettings,
  partition: number,
  tailStart: number,
): AsyncGenerator<TailObject> {
  let expected = tailStart;
  for await (const info of store.list({
    prefix: tailFolder(stream, partition),
    startOffset: tailObjectName(stream, partition, tailStart),
    pageSize: 1000,
  })) {
    const base = parseTailObjectName(info.name);
    if (base === undefined) continue;
    const meta = decodeObjectMetadata(info.name, info.metadata);
    if (base !== expected || meta.baseOffset !== base) {
      throw new CascadeError('CORRUPT_DATA', `${info.name}: tail is not contiguous`, {
        retryable: false,
        details: { name: info.name, expected, base },
      });
    }
    expected = base + meta.recordCount;
    yield {
      name: info.name,
      base,
      count: meta.recordCount,
      size: info.size,
      ingestMs: meta.ingestTimeMicros / 1000,
    };
  }
}
