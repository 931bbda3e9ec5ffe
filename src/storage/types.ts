/**
 * The object store contract every backend honours (filesystem, Cloud Storage,
 * in-memory). It is the smallest surface Cascade's commit protocol needs:
 * conditional create/replace by generation, ranged reads, ordered listing and
 * conditional deletes. A conformance suite (test/integration/storage) runs the
 * same cases against every backend.
 */

/** Object generations are positive integers; 0 in a precondition means "absent". */
export type Generation = number;

/**
 * A byte range of an object. `{ start, end }` is inclusive at both ends;
 * `end` omitted means "to the end of the object". `{ suffix: n }` is the
 * last n bytes. A range starting at or past the end of the object yields
 * zero bytes (not an error); an `end` past the end is clamped.
 */
export type ByteRange = { start: number; end?: number } | { suffix: number };

export interface PutOptions {
  /** 0 = create only if absent; n > 0 = replace only if the live generation is n. */
  ifGenerationMatch?: Generation;
  /** Custom metadata (string keys and values), returned by head/get/list. */
  metadata?: Record<string, string>;
  contentType?: string;
}

export interface DeleteOptions {
  /** Delete only if the live generation is this one. */
  ifGenerationMatch?: Generation;
}

export interface ObjectInfo {
  name: string;
  generation: Generation;
  /** Size of the whole object in bytes (not of a range). */
  size: number;
  metadata: Record<string, string>;
  contentType: string;
  /** When this generation was written. */
  updated: Date;
}

export interface GetOptions {
  range?: ByteRange;
}

export interface GetResult extends ObjectInfo {
  /** The bytes of the requested range (the whole object without a range). */
  bytes: Uint8Array;
  /** Inclusive byte positions actually returned; end < start when empty. */
  rangeStart: number;
  rangeEnd: number;
}

export interface GetStreamResult extends ObjectInfo {
  /** Chunks of the requested range; memory stays bounded however large the object. */
  stream: AsyncIterable<Uint8Array>;
  rangeStart: number;
  rangeEnd: number;
}

export interface ListOptions {
  prefix?: string;
  /** Only names >= startOffset (lexicographic, inclusive). */
  startOffset?: string;
  /** Only names < endOffset (lexicographic, exclusive). */
  endOffset?: string;
  /** Objects fetched per backend page; the iterator hides the paging. */
  pageSize?: number;
}

/**
 * A flat namespace of named byte objects with generations.
 *
 * Errors are {@link CascadeError}s with codes PRECONDITION_FAILED, NOT_FOUND,
 * RATE_LIMITED, UNAVAILABLE, INVALID_NAME or INVALID_ARGUMENT.
 */
export interface ObjectStore {
  /** A short label for logs and benchmarks: "fs", "gcs", "memory". */
  readonly kind: string;
  put(name: string, data: Uint8Array, options?: PutOptions): Promise<{ generation: Generation }>;
  /**
   * Writes an object from a stream of chunks without holding it whole.
   * `source` is a factory so a backend may restart the upload on a retry.
   */
  putStream(
    name: string,
    source: () => AsyncIterable<Uint8Array>,
    options?: PutOptions,
  ): Promise<{ generation: Generation }>;
  get(name: string, options?: GetOptions): Promise<GetResult>;
  getStream(name: string, options?: GetOptions): Promise<GetStreamResult>;
  head(name: string): Promise<ObjectInfo>;
  /** Objects in lexicographic (byte) order of name. */
  list(options?: ListOptions): AsyncIterable<ObjectInfo>;
  delete(name: string, options?: DeleteOptions): Promise<void>;
  /** Releases sockets/handles. The store must not be used afterwards. */
  close(): Promise<void>;
}
