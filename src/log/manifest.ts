import { z } from 'zod';
import { CascadeError, hasCode } from '../errors.ts';
import type { ObjectStore } from '../storage/index.ts';
import { decodeVersionedJson } from '../versioned-json.ts';
import { SEGMENT_CODECS } from './segment-container.ts';

/**
 * A partition's manifest: the only mutable object of the compacted log,
 * replaced only with `ifGenerationMatch` (compare-and-swap), so every change
 * (a new segment, retention, finished deletions) is atomic. JSON, version 1:
 *
 *   {
 *     "version": 1,
 *     "startOffset": 0,          first readable offset (retention moves it up)
 *     "tailStart": 5000,         first offset not in a segment: read from tail/
 *     "segments": [              contiguous, ascending, last.end == tailStart
 *       { "base": 0, "end": 5000, "records": 5000,          end exclusive
 *         "minPublishTimeMicros": …, "maxPublishTimeMicros": …,
 *         "codec": "null",
 *         "data":        { "name": "…/segments/<base>-<end>.avro", "size": … },
 *         "offsetIndex": { "name": "….oidx", "size": … },
 *         "timeIndex":   { "name": "….tidx", "size": …, "entries": … },
 *         "createdAtMs": … } ],
 *     "pendingDeletions": [      objects no reader needs once notBeforeMs passes
 *       { "name": "…", "kind": "tail" | "segment", "notBeforeMs": … } ],
 *     "updatedAtMs": …
 *   }
 *
 * When there are segments, segments[0].base == startOffset; when there are
 * none, startOffset == tailStart. A missing manifest is the empty one at
 * generation 0 (everything still in tail/).
 */
export const MANIFEST_VERSION = 1;

const objectRef = z.strictObject({ name: z.string().min(1), size: z.int().nonnegative() });
const offset = z.int().nonnegative();

const segmentSchema = z.strictObject({
  base: offset,
  end: offset,
  records: z.int().positive(),
  minPublishTimeMicros: z.int(),
  maxPublishTimeMicros: z.int(),
  codec: z.enum(SEGMENT_CODECS),
  data: objectRef,
  offsetIndex: objectRef,
  timeIndex: objectRef.extend({ entries: z.int().positive() }),
  createdAtMs: z.int().nonnegative(),
});

const manifestSchema = z.strictObject({
  version: z.literal(MANIFEST_VERSION),
  startOffset: offset,
  tailStart: offset,
  segments: z.array(segmentSchema),
  pendingDeletions: z.array(
    z.strictObject({
      name: z.string().min(1),
      kind: z.enum(['tail', 'segment']),
      notBeforeMs: z.int().nonnegative(),
    }),
  ),
  updatedAtMs: z.int().nonnegative(),
});

/** One compacted segment as the manifest lists it. */
export type SegmentEntry = z.infer<typeof segmentSchema>;
/** An object to delete once its grace period has passed. */
export type PendingDeletion = Manifest['pendingDeletions'][number];
/** A partition's manifest (layout above). */
export type Manifest = z.infer<typeof manifestSchema>;

/** A manifest with the generation it was read at (0 = absent). */
export interface VersionedManifest {
  manifest: Manifest;
  generation: number;
}

/** The manifest of a partition that was never compacted. */
export function emptyManifest(): Manifest {
  return {
    version: MANIFEST_VERSION,
    startOffset: 0,
    tailStart: 0,
    segments: [],
    pendingDeletions: [],
    updatedAtMs: 0,
  };
}

/** Serialises after checking the invariants, so a bug never stores a bad manifest. */
export function encodeManifest(manifest: Manifest): Uint8Array {
  checkInvariants(manifest);
  return Buffer.from(JSON.stringify(manifest));
}

/** Parses and checks a manifest; CORRUPT_DATA or UNSUPPORTED_VERSION otherwise. */
export function decodeManifest(bytes: Uint8Array, name = 'manifest'): Manifest {
  const manifest = decodeVersionedJson(bytes, name, MANIFEST_VERSION, manifestSchema);
  checkInvariants(manifest, name);
  return manifest;
}

function checkInvariants(m: Manifest, name = 'manifest'): void {
  const problems: string[] = [];
  if (m.startOffset > m.tailStart) problems.push('startOffset is past tailStart');
  const first = m.segments[0];
  if (first && first.base !== m.startOffset)
    problems.push('first segment does not start at startOffset');
  if (!first && m.startOffset !== m.tailStart)
    problems.push('no segments but startOffset != tailStart');
  m.segments.forEach((s, i) => {
    if (s.end - s.base !== s.records) problems.push(`segment ${s.base} count mismatch`);
    const next = m.segments[i + 1];
    if (next && next.base !== s.end) problems.push(`segments not contiguous at ${s.end}`);
  });
  const last = m.segments.at(-1);
  if (last && last.end !== m.tailStart) problems.push('last segment does not end at tailStart');
  if (problems.length > 0) {
    throw new CascadeError('CORRUPT_DATA', `${name}: ${problems.join('; ')}`, {
      retryable: false,
      details: { name, problems },
    });
  }
}

/** Reads a manifest; a missing one is the empty manifest at generation 0. */
export async function readManifest(store: ObjectStore, name: string): Promise<VersionedManifest> {
  try {
    const { bytes, generation } = await store.get(name);
    return { manifest: decodeManifest(bytes, name), generation };
  } catch (error) {
    if (hasCode(error, 'NOT_FOUND')) return { manifest: emptyManifest(), generation: 0 };
    throw error;
  }
}

/**
 * Replaces the manifest read at `generation` (0 = create). Throws
 * PRECONDITION_FAILED when someone else replaced it first.
 */
export async function writeManifest(
  store: ObjectStore,
  name: string,
  manifest: Manifest,
  generation: number,
): Promise<VersionedManifest> {
  const written = await store.put(name, encodeManifest(manifest), {
    ifGenerationMatch: generation,
    contentType: 'application/json',
  });
  return { manifest, generation: written.generation };
}

/**
 * Compare-and-swap loop: `change` gets the current manifest and returns the
 * replacement, or undefined to leave it alone. On a lost race it is called
 * again with the winner's manifest, at most `attempts` times.
 */
export async function updateManifest(
  store: ObjectStore,
  name: string,
  change: (current: Manifest) => Manifest | undefined,
  options: { attempts?: number; now?: () => number } = {},
): Promise<VersionedManifest & { changed: boolean }> {
  const attempts = options.attempts ?? 10;
  const now = options.now ?? Date.now;
  for (let attempt = 1; ; attempt++) {
    const current = await readManifest(store, name);
    const next = change(structuredClone(current.manifest));
    if (!next) return { ...current, changed: false };
    try {
      const written = await writeManifest(
        store,
        name,
        { ...next, updatedAtMs: Math.floor(now()) },
        current.generation,
      );
      return { ...written, changed: true };
    } catch (error) {
      if (!hasCode(error, 'PRECONDITION_FAILED') || attempt >= attempts) {
        if (hasCode(error, 'PRECONDITION_FAILED')) {
          throw new CascadeError('CONTENTION', `${name}: lost ${attempt} manifest races`, {
            cause: error,
          });
        }
        throw error;
      }
    }
  }
}

/** The segment holding `offset`, by binary search, or undefined. */
export function findSegment(manifest: Manifest, offset: number): SegmentEntry | undefined {
  const segments = manifest.segments;
  let lo = 0;
  let hi = segments.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const s = segments[mid]!;
    if (offset < s.base) hi = mid - 1;
    else if (offset >= s.end) lo = mid + 1;
    else return s;
  }
  return undefined;
}
