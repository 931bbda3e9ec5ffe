import { CascadeError } from '../errors.ts';
import { validateNamePrefix } from './names.ts';
import type { DeleteOptions, ListOptions, PutOptions } from './types.ts';

/**
 * Custom metadata keys the backends keep for themselves (the Cloud Storage
 * backend tags every write with a random id, and the generation it replaced,
 * to recognise its own retried writes). Rejected on input by every backend
 * so objects stay portable.
 */
export const RESERVED_METADATA_KEYS: ReadonlySet<string> = new Set([
  'cascade-write-id',
  'cascade-replaces',
]);

/** Longest custom metadata, keys and values together, in UTF-8 bytes (Cloud Storage's limit is 8 KiB). */
export const MAX_METADATA_BYTES = 8 * 1024;

/** Metadata keys and content types travel as HTTP headers on some paths. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Checks a precondition value: undefined, or a non-negative safe integer. */
export function validateGeneration(value: unknown, what = 'ifGenerationMatch'): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw invalid(`${what} must be a non-negative integer, got ${describe(value)}`);
  }
}

/** Checks the options of a put, so every backend rejects the same inputs. */
export function validatePutOptions(options: unknown): asserts options is PutOptions {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object') {
    throw invalid(`put options must be an object, got ${describe(options)}`);
  }
  const { ifGenerationMatch, metadata, contentType } = options as PutOptions;
  validateGeneration(ifGenerationMatch);
  if (metadata !== undefined) {
    if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) {
      throw invalid(`metadata must be an object of strings, got ${describe(metadata)}`);
    }
    let bytes = 0;
    for (const [key, value] of Object.entries(metadata)) {
      if (key === '' || typeof value !== 'string') {
        throw invalid(`metadata must map non-empty keys to strings (key ${JSON.stringify(key)})`);
      }
      if (RESERVED_METADATA_KEYS.has(key.toLowerCase())) {
        throw invalid(`metadata key ${JSON.stringify(key)} is reserved`);
      }
      if (CONTROL.test(key)) {
        throw invalid(`metadata key ${JSON.stringify(key)} has a control character`);
      }
      bytes += Buffer.byteLength(key) + Buffer.byteLength(value);
    }
    if (bytes > MAX_METADATA_BYTES) {
      throw invalid(`metadata is ${bytes} bytes; the limit is ${MAX_METADATA_BYTES}`);
    }
  }
  if (contentType !== undefined) {
    if (typeof contentType !== 'string' || contentType === '' || CONTROL.test(contentType)) {
      throw invalid(
        `contentType must be a non-empty header-safe string, got ${describe(contentType)}`,
      );
    }
  }
}

/** Checks the bytes handed to put. */
export function validateData(data: unknown): asserts data is Uint8Array {
  if (!(data instanceof Uint8Array)) {
    throw invalid(`object data must be a Uint8Array, got ${describe(data)}`);
  }
}

/** Checks the `source` factory handed to putStream. */
export function validateSource(source: unknown): asserts source is () => AsyncIterable<Uint8Array> {
  if (typeof source !== 'function') {
    throw invalid(
      `putStream source must be a function returning an async iterable, got ${describe(source)}`,
    );
  }
}

export function validateDeleteOptions(options: unknown): asserts options is DeleteOptions {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object') {
    throw invalid(`delete options must be an object, got ${describe(options)}`);
  }
  validateGeneration((options as DeleteOptions).ifGenerationMatch);
}

export function validateListOptions(options: unknown): asserts options is ListOptions {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object') {
    throw invalid(`list options must be an object, got ${describe(options)}`);
  }
  const { prefix, startOffset, endOffset, pageSize } = options as ListOptions;
  if (prefix !== undefined) validateNamePrefix(prefix, 'prefix');
  if (startOffset !== undefined) validateNamePrefix(startOffset, 'startOffset');
  if (endOffset !== undefined) validateNamePrefix(endOffset, 'endOffset');
  if (pageSize !== undefined && (!Number.isSafeInteger(pageSize) || pageSize < 1)) {
    throw invalid(`pageSize must be a positive integer, got ${describe(pageSize)}`);
  }
}

/** Copies metadata so a caller's later mutation cannot reach stored state. */
export function copyMetadata(metadata: Record<string, string> | undefined): Record<string, string> {
  return { ...(metadata ?? {}) };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string')
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'object')
    return Array.isArray(value) ? 'an array' : (value.constructor?.name ?? 'object');
  return `${typeof value} ${String(value)}`;
}

function invalid(message: string): CascadeError {
  return new CascadeError('INVALID_ARGUMENT', message);
}
