import { hasCode } from '../errors.ts';
import type { ObjectStore } from '../storage/index.ts';

/**
 * A partition's head hint: a small JSON object, overwritten without a
 * precondition at most about once per second per process. It is only ever a
 * lower bound (written after the commits it names), so a stale or lost hint
 * costs a longer listing, never correctness. Layout:
 *
 *   {"version":1,"head":<next offset>,"dedupFrom":<base of the oldest object in the dedup window>}
 */
export interface HeadHint {
  head: number;
  dedupFrom: number;
}

const HINT_VERSION = 1;

/** Reads a hint; a missing, unreadable or unknown-version hint is `undefined`. */
export async function readHeadHint(
  store: ObjectStore,
  name: string,
): Promise<HeadHint | undefined> {
  try {
    const { bytes } = await store.get(name);
    const parsed = JSON.parse(Buffer.from(bytes).toString('utf8')) as Record<string, unknown>;
    const { version, head, dedupFrom } = parsed;
    if (version !== HINT_VERSION) return undefined;
    if (!Number.isSafeInteger(head) || !Number.isSafeInteger(dedupFrom)) return undefined;
    if ((dedupFrom as number) < 0 || (dedupFrom as number) > (head as number)) return undefined;
    return { head: head as number, dedupFrom: dedupFrom as number };
  } catch (error) {
    if (hasCode(error, 'NOT_FOUND') || error instanceof SyntaxError) return undefined;
    throw error;
  }
}

/** Overwrites a hint. */
export async function writeHeadHint(store: ObjectStore, name: string, hint: HeadHint) {
  const body = JSON.stringify({ version: HINT_VERSION, ...hint });
  await store.put(name, Buffer.from(body), { contentType: 'application/json' });
}
