import { CascadeError, hasCode } from '../errors.ts';
import type { ObjectStore } from '../storage/index.ts';
import { type ObjectIds, readObjectIds } from './partition-scan.ts';

/** What a create (or a look at the name before one) found. */
export type CommitOutcome =
  | { kind: 'committed' }
  | { kind: 'taken'; winner?: ObjectIds }
  | { kind: 'failed'; error: unknown };

/**
 * Creates a data object only if its name is free and says what happened:
 * committed; taken (PRECONDITION_FAILED, or a retryable failure after which
 * the name turns out to exist — someone else's object, or ours after all);
 * or failed (retryable, and the name is still free). Anything else throws.
 */
export async function createIfAbsent(
  store: ObjectStore,
  name: string,
  bytes: Uint8Array,
  metadata: Record<string, string>,
): Promise<CommitOutcome> {
  try {
    await store.put(name, bytes, { ifGenerationMatch: 0, metadata, contentType: 'avro/binary' });
    return { kind: 'committed' };
  } catch (error) {
    if (hasCode(error, 'PRECONDITION_FAILED')) return { kind: 'taken' };
    if (!(error instanceof CascadeError) || !error.retryable) throw error;
    try {
      await store.head(name);
      return { kind: 'taken' };
    } catch (headError) {
      if (hasCode(headError, 'NOT_FOUND')) return { kind: 'failed', error };
      return { kind: 'failed', error: headError };
    }
  }
}

/** Reads the ids of the object at `name`, or says 'free' when there is none. */
export async function probeName(store: ObjectStore, name: string): Promise<CommitOutcome | 'free'> {
  try {
    return { kind: 'taken', winner: await readObjectIds(store, name) };
  } catch (error) {
    if (hasCode(error, 'NOT_FOUND')) return 'free';
    if (error instanceof CascadeError && error.retryable) return { kind: 'failed', error };
    throw error;
  }
}
