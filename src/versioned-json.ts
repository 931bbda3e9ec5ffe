import type { z } from 'zod';
import { CascadeError } from './errors.ts';

/**
 * Parses a small JSON object Cascade keeps in the bucket (a partition
 * manifest, a replay job): it must be JSON, carry exactly the `version` this
 * build understands, and match `schema`. Anything else is a typed error —
 * CORRUPT_DATA or UNSUPPORTED_VERSION, never retryable — naming the object.
 *
 * @example
 * const job = decodeVersionedJson(bytes, name, JOB_VERSION, jobSchema);
 */
export function decodeVersionedJson<S extends z.ZodType>(
  bytes: Uint8Array,
  name: string,
  version: number,
  schema: S,
): z.output<S> {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString());
  } catch (error) {
    throw new CascadeError('CORRUPT_DATA', `${name} is not JSON`, { cause: error });
  }
  const found = (raw as { version?: unknown } | null)?.version;
  if (found !== version) {
    throw new CascadeError('UNSUPPORTED_VERSION', `${name}: version ${String(found)}`, {
      retryable: false,
      details: { name, version: found },
    });
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new CascadeError('CORRUPT_DATA', `${name} is malformed: ${parsed.error.message}`, {
      cause: parsed.error,
      retryable: false,
      details: { name },
    });
  }
  return parsed.data;
}
