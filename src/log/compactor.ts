import { CascadeError, hasCode } from '../errors.ts';
import type { Logger } from '../observability/index.ts';
import { noopLogger } from '../observability/index.ts';
import type { ObjectStore } from '../storage/index.ts';
import { type Manifest, readManifest, type SegmentEntry, writeManifest } from './manifest.ts';
import { collectGarbage, deleteDue } from './segment-cleanup.ts';
import { manifestName, segmentObjectNames } from './segment-names.ts';
import { planSegment } from './segment-planner.ts';
import {
  type BuiltSegment,
  type SegmentFormat,
  type SegmentPlan,
  writeSegment,
} from './segment-writer.ts';
import type { StreamSettings } from './types.ts';

/**
 * When and how tail objects are merged into segments.
 *
 * Two rules keep compaction invisible to appenders: the newest tail object of
 * a partition is never compacted (so it is never deleted, and an appender's
 * cold start always finds the head by listing `tail/`), and an object is only
 * compacted once it is older than `minObjectAgeMs` (by default the stream's
 * dedup window), so the message ids dedup reads from tail headers are still
 * there for as long as dedup needs them.
 *
 * Appenders rescan their head after five idle minutes; `minObjectAgeMs +
 * graceMs` must stay well above that, or an idle appender could re-create the
 * name of a merged object that was already deleted.
 */
export interface CompactionPolicy {
  /** A segment is cut once it holds this many bytes of tail objects… */
  targetSegmentBytes: number;
  /** …or this many records. */
  targetSegmentRecords: number;
  /** Tail objects younger than this are left alone (default: the dedup window). */
  minObjectAgeMs: number;
  /** A short group is compacted anyway once its oldest object is this old. */
  maxTailAgeMs: number;
  /** How long merged objects stay readable for readers holding an older manifest. */
  graceMs: number;
  /** Unreferenced segment objects older than this are deleted as garbage. */
  garbageAgeMs: number;
  maxSegmentsPerRun: number;
  format: SegmentFormat;
}

export const COMPACTION_DEFAULTS: Omit<CompactionPolicy, 'minObjectAgeMs'> = {
  targetSegmentBytes: 128 * 1024 * 1024,
  targetSegmentRecords: 1_000_000,
  maxTailAgeMs: 60 * 60 * 1000,
  graceMs: 15 * 60 * 1000,
  garbageAgeMs: 6 * 60 * 60 * 1000,
  maxSegmentsPerRun: 16,
  format: { codec: 'null', blockBytes: 64 * 1024, timeIndexInterval: 256 },
};

/** Tries per segment when storage fails in a retryable way. */
const BUILD_ATTEMPTS = 3;

/** What one compaction run of a partition did. */
export interface CompactionResult {
  partition: number;
  created: SegmentEntry[];
  /** Merged tail objects and retired segment objects deleted after their grace period. */
  deleted: string[];
  /** Unreferenced segment objects removed as garbage. */
  garbage: string[];
  /** True when another compactor won a manifest race and this run stopped. */
  yielded: boolean;
  tailStart: number;
}

/**
 * Merges a partition's small tail objects into segments with offset and time
 * indexes, then swaps the manifest by compare-and-swap.
 *
 * Crash safety: the segment and its indexes are written first, under names
 * that depend only on (base, end), with create-if-absent; only then is the
 * manifest swapped. A compactor killed before the swap leaves the old
 * manifest and some unreferenced objects, which the next run reuses (same
 * names, verified) or collects as garbage; killed after it, the new manifest
 * lists the merged objects as pending deletions and any later run deletes
 * them once the grace period has passed. Two compactors racing on a
 * partition both write identical objects; one manifest swap wins and the
 * other run yields.
 *
 * @example
 * const compactor = new Compactor({ store, stream, policy: { targetSegmentBytes: 64 << 20 } });
 * const result = await compactor.compact(3);
 */
export class Compactor {
  readonly policy: CompactionPolicy;
  #store: ObjectStore;
  #stream: StreamSettings;
  #logger: Logger;
  #clock: () => number;

  constructor(options: {
    store: ObjectStore;
    stream: StreamSettings;
    logger?: Logger;
    clock?: () => number;
    policy?: Partial<CompactionPolicy>;
  }) {
    this.#store = options.store;
    this.#stream = options.stream;
    this.#logger = options.logger ?? noopLogger;
    this.#clock = options.clock ?? Date.now;
    this.policy = {
      ...COMPACTION_DEFAULTS,
      minObjectAgeMs: options.stream.dedupWindowMs,
      ...options.policy,
      format: { ...COMPACTION_DEFAULTS.format, ...options.policy?.format },
    };
  }

  /** One compaction pass over a partition; safe to run concurrently and to rerun. */
  async compact(partition: number): Promise<CompactionResult> {
    const name = manifestName(this.#stream, partition);
    const deleted = await deleteDue(this.#store, name, this.#clock, this.#logger);
    let current = await readManifest(this.#store, name);
    const created: SegmentEntry[] = [];
    let yielded = false;
    for (let i = 0; i < this.policy.maxSegmentsPerRun && !yielded; i++) {
      const plan = await planSegment(
        this.#store,
        this.#stream,
        partition,
        current.manifest.tailStart,
        this.policy,
        this.#clock(),
      );
      if (!plan) break;
      let entry: SegmentEntry;
      try {
        entry = await this.#build(partition, plan);
      } catch (error) {
        // A compactor slower than the grace period may find its sources
        // deleted under it by a faster one; that is a lost race, not damage.
        current = await readManifest(this.#store, name);
        if (current.manifest.tailStart === plan.base) throw error;
        this.#logger.info({ partition, base: plan.base, err: String(error) }, 'compaction yielded');
        yielded = true;
        break;
      }
      for (let attempt = 0; ; attempt++) {
        try {
          current = await writeManifest(
            this.#store,
            name,
            this.#withSegment(current.manifest, entry, plan),
            current.generation,
          );
          created.push(entry);
          break;
        } catch (error) {
          if (!hasCode(error, 'PRECONDITION_FAILED')) throw error;
          current = await readManifest(this.#store, name);
          if (current.manifest.tailStart !== plan.base || attempt >= 5) {
            // Another compactor got there first; its manifest is the truth.
            yielded = true;
            break;
          }
        }
      }
      this.#logger.info(
        { partition, base: entry.base, end: entry.end, bytes: entry.data.size, yielded },
        'segment compacted',
      );
    }
    const garbage = await collectGarbage(
      this.#store,
      this.#stream,
      partition,
      current.manifest,
      this.#clock() - this.policy.garbageAgeMs,
    );
    return {
      partition,
      created,
      deleted,
      garbage,
      yielded,
      tailStart: current.manifest.tailStart,
    };
  }

  /** Writes the segment and both indexes; returns the manifest entry. */
  async #build(partition: number, plan: SegmentPlan): Promise<SegmentEntry> {
    const names = segmentObjectNames(this.#stream, partition, plan.base, plan.end);
    let built: BuiltSegment | undefined;
    for (let attempt = 1; !built; attempt++) {
      try {
        built = await writeSegment(this.#store, names.data, plan, this.policy.format, {
          identity: `${this.#stream.name}/${partition}`,
          now: this.#clock,
          reuseMaxAgeMs: this.policy.garbageAgeMs / 2,
        });
      } catch (error) {
        // A failed create leaves nothing behind, so the whole segment is redone.
        if (!(error instanceof CascadeError) || !error.retryable || attempt >= BUILD_ATTEMPTS) {
          throw error;
        }
        this.#logger.warn({ partition, base: plan.base, err: String(error) }, 'segment retried');
      }
    }
    await putIndex(this.#store, names.offsetIndex, built.offsetIndex);
    await putIndex(this.#store, names.timeIndex, built.timeIndex);
    return {
      base: plan.base,
      end: plan.end,
      records: built.records,
      minPublishTimeMicros: built.minPublishTimeMicros,
      maxPublishTimeMicros: built.maxPublishTimeMicros,
      codec: built.codec,
      data: { name: names.data, size: built.size },
      offsetIndex: { name: names.offsetIndex, size: built.offsetIndex.byteLength },
      timeIndex: {
        name: names.timeIndex,
        size: built.timeIndex.byteLength,
        entries: built.timeEntries,
      },
      createdAtMs: Math.floor(this.#clock()),
    };
  }

  #withSegment(manifest: Manifest, entry: SegmentEntry, plan: SegmentPlan): Manifest {
    const notBeforeMs = Math.floor(this.#clock() + this.policy.graceMs);
    return {
      ...manifest,
      startOffset: manifest.segments.length === 0 ? manifest.tailStart : manifest.startOffset,
      tailStart: entry.end,
      segments: [...manifest.segments, entry],
      pendingDeletions: [
        ...manifest.pendingDeletions,
        ...plan.sources.map((s) => ({ name: s.name, kind: 'tail' as const, notBeforeMs })),
      ],
      updatedAtMs: Math.floor(this.#clock()),
    };
  }
}

/** Index objects are deterministic: create, or check that what is there is the same. */
async function putIndex(store: ObjectStore, name: string, bytes: Uint8Array): Promise<void> {
  try {
    await store.put(name, bytes, {
      ifGenerationMatch: 0,
      contentType: 'application/octet-stream',
    });
  } catch (error) {
    if (!hasCode(error, 'PRECONDITION_FAILED')) throw error;
    const existing = await store.get(name);
    if (Buffer.from(existing.bytes).equals(Buffer.from(bytes))) return;
    // Left by a run over a different segment body (e.g. another codec): replace it.
    await store.put(name, bytes, {
      ifGenerationMatch: existing.generation,
      contentType: 'application/octet-stream',
    });
  }
}
