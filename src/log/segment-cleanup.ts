import { hasCode } from '../errors.ts';
import type { Logger } from '../observability/index.ts';
import type { ObjectStore } from '../storage/index.ts';
import { type Manifest, type PendingDeletion, readManifest, updateManifest } from './manifest.ts';
import { parseTailObjectName } from './names.ts';
import { segmentFolder } from './segment-names.ts';
import type { StreamSettings } from './types.ts';

/**
 * Deletes the manifest's pending deletions whose grace period has passed and
 * that the manifest still covers (a tail object wholly below `tailStart`, a
 * segment object no segment entry names), in list order, then removes them
 * from the manifest by CAS. Tail objects go oldest first, so a run cut short
 * leaves the remaining tail contiguous. Returns the names deleted.
 */
export async function deleteDue(
  store: ObjectStore,
  name: string,
  clock: () => number,
  logger: Logger,
): Promise<string[]> {
  const { manifest } = await readManifest(store, name);
  const now = clock();
  const due = manifest.pendingDeletions.filter((d) => d.notBeforeMs <= now && covered(manifest, d));
  if (due.length === 0) return [];
  const deleted: string[] = [];
  for (const deletion of due) {
    try {
      await store.delete(deletion.name);
    } catch (error) {
      if (!hasCode(error, 'NOT_FOUND')) {
        logger.warn(
          { name: deletion.name, err: String(error) },
          'deletion failed; retried next run',
        );
        break;
      }
    }
    deleted.push(deletion.name);
  }
  const gone = new Set(deleted);
  await updateManifest(
    store,
    name,
    (current) => {
      const kept = current.pendingDeletions.filter((d) => !gone.has(d.name));
      if (kept.length === current.pendingDeletions.length) return undefined;
      return { ...current, pendingDeletions: kept };
    },
    { now: clock },
  );
  return deleted;
}

function covered(manifest: Manifest, deletion: PendingDeletion): boolean {
  if (deletion.kind === 'tail') {
    const base = parseTailObjectName(deletion.name);
    return base !== undefined && base < manifest.tailStart;
  }
  return !manifest.segments.some(
    (s) =>
      s.data.name === deletion.name ||
      s.offsetIndex.name === deletion.name ||
      s.timeIndex.name === deletion.name,
  );
}

/**
 * Deletes objects in the partition's segment folder that the manifest neither
 * references nor schedules for deletion and that are older than `olderThanMs`:
 * leftovers of compactors that died before their manifest swap. The age bound
 * keeps a concurrent compactor's fresh, not yet swapped objects safe.
 */
export async function collectGarbage(
  store: ObjectStore,
  stream: StreamSettings,
  partition: number,
  manifest: Manifest,
  olderThanMs: number,
): Promise<string[]> {
  const known = new Set<string>(manifest.pendingDeletions.map((d) => d.name));
  for (const s of manifest.segments) {
    known.add(s.data.name).add(s.offsetIndex.name).add(s.timeIndex.name);
  }
  const removed: string[] = [];
  for await (const info of store.list({ prefix: segmentFolder(stream, partition) })) {
    if (known.has(info.name) || info.updated.getTime() >= olderThanMs) continue;
    try {
      await store.delete(info.name, { ifGenerationMatch: info.generation });
      removed.push(info.name);
    } catch (error) {
      if (!hasCode(error, 'NOT_FOUND') && !hasCode(error, 'PRECONDITION_FAILED')) throw error;
    }
  }
  return removed;
}
