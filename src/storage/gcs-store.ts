import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  type Bucket,
  type FileMetadata,
  Storage,
  type StorageOptions,
} from '@google-cloud/storage';
import { CascadeError } from '../errors.ts';
import { httpStatusOf, mapGcsError } from './gcs-errors.ts';
import { type OpenMedia, openMedia } from './gcs-media.ts';
import { type GcsRetryOptions, RetryPolicy } from './gcs-retry.ts';
import { validateNamePrefix, validateObjectName } from './names.ts';
import {
  validateData,
  validateDeleteOptions,
  validateListOptions,
  validatePutOptions,
  validateSource,
} from './options.ts';
import { resolveRange, validateRange } from './range.ts';
import type {
  ByteRange,
  DeleteOptions,
  GetOptions,
  GetResult,
  GetStreamResult,
  ListOptions,
  ObjectInfo,
  ObjectStore,
  PutOptions,
} from './types.ts';

export type { GcsRetryOptions } from './gcs-retry.ts';

export interface GcsStoreOptions {
  bucket: string;
  /**
   * Base URL of the JSON API, e.g. an emulator's `http://127.0.0.1:4443`.
   * Unset means real Cloud Storage. With an endpoint and no credentials the
   * client sends no auth (what emulators expect).
   */
  apiEndpoint?: string;
  projectId?: string;
  /** An auth client built by the caller (ambient identity, a secret's key, …). */
  authClient?: StorageOptions['authClient'];
  /** Service-account credentials held in memory; never read from a file here. */
  credentials?: StorageOptions['credentials'];
  retry?: GcsRetryOptions;
  /** Per-request timeout (default 60 s). */
  requestTimeoutMs?: number;
  /** Check whole-object downloads against the stored CRC32C (default true). */
  validateDownloads?: boolean;
  /** Called before each retry with the error that caused it (for logs and tests). */
  onRetry?: (error: CascadeError) => void;
}

/** Custom metadata: the random id of the write that made a generation. */
const WRITE_ID = 'cascade-write-id';
/** Custom metadata: the generation a conditional write replaced ("0" for a create). */
const REPLACES = 'cascade-replaces';
/** Attempts at a consistent (metadata, bytes) pair while a name is being replaced under us. */
const CONSISTENT_READ_ATTEMPTS = 5;

/**
 * The Cloud Storage backend, on @google-cloud/storage with the library's own
 * retries turned off. Uploads are simple (one request, not resumable) and
 * carry `ifGenerationMatch` when asked. Every write is tagged with a random
 * write id in custom metadata; when a retried write gets 412, the object is
 * read back and, if it carries our id, the write is reported as the success
 * it was (exactly once). An unconditional put that must be retried becomes
 * conditional on what is there at the retry, so it too lands at most once.
 *
 * @example
 * const store = new GcsStore({ bucket: 'my-bucket', authClient });
 * const store = new GcsStore({ bucket: 'test', apiEndpoint: 'http://127.0.0.1:4443' });
 */
export class GcsStore implements ObjectStore {
  readonly kind = 'gcs';
  readonly bucketName: string;
  /** Counters for tests and benchmarks. */
  readonly stats = { retries: 0, recoveredWrites: 0 };
  readonly #bucket: Bucket;
  readonly #retry: RetryPolicy;
  readonly #timeoutMs: number;
  readonly #validate: boolean;
  readonly #onRetry: ((error: CascadeError) => void) | undefined;

  constructor(options: GcsStoreOptions) {
    if (!options || typeof options.bucket !== 'string' || options.bucket === '') {
      throw new CascadeError('INVALID_CONFIG', 'GcsStore needs a bucket name');
    }
    const endpoint = options.apiEndpoint?.replace(/\/+$/, '');
    const hasCredentials = options.authClient !== undefined || options.credentials !== undefined;
    if (!endpoint && !hasCredentials) {
      throw new CascadeError(
        'INVALID_CONFIG',
        'GcsStore needs authClient or credentials for Cloud Storage (Cascade never reads key files), or apiEndpoint for an emulator',
      );
    }
    const storage = new Storage({
      ...(endpoint ? { apiEndpoint: endpoint, useAuthWithCustomEndpoint: hasCredentials } : {}),
      projectId: options.projectId ?? (endpoint ? 'cascade-local' : undefined),
      ...(options.authClient ? { authClient: options.authClient } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
      retryOptions: { autoRetry: false, maxRetries: 0 },
      timeout: options.requestTimeoutMs ?? 60_000,
    });
    // With its default `forever` agent, the client destroys that shared
    // agent whenever a download stream ends early or fails, killing every
    // other request in flight (their writes may have committed, and a lost
    // answer forces the slow ambiguous path). Per-request sockets from the
    // global keep-alive agent don't have that problem.
    storage.interceptors.push({
      request(reqOpts) {
        return Object.assign(reqOpts, { forever: false }) as ReturnType<
          Storage['interceptors'][number]['request']
        >;
      },
    });
    // The client prefers the STORAGE_EMULATOR_HOST variable over apiEndpoint
    // for JSON API calls (not for uploads); the endpoint we were given wins.
    if (endpoint) storage.baseUrl = `${endpoint}/storage/v1`;
    this.bucketName = options.bucket;
    this.#bucket = storage.bucket(options.bucket);
    this.#retry = new RetryPolicy(options.retry);
    this.#timeoutMs = options.requestTimeoutMs ?? 60_000;
    this.#validate = options.validateDownloads ?? true;
    this.#onRetry = options.onRetry;
  }

  async put(name: string, data: Uint8Array, options: PutOptions = {}) {
    validateObjectName(name);
    validateData(data);
    validatePutOptions(options);
    // The server checks the declared MD5 before it commits anything.
    const md5Hash = createHash('md5').update(data).digest('base64');
    return this.#upload(name, options, () => [data], md5Hash);
  }

  async putStream(name: string, source: () => AsyncIterable<Uint8Array>, options: PutOptions = {}) {
    validateObjectName(name);
    validateSource(source);
    validatePutOptions(options);
    const checked = async function* () {
      for await (const chunk of source()) {
        validateData(chunk);
        yield chunk;
      }
    };
    return this.#upload(name, options, checked, undefined);
  }

  async get(name: string, options: GetOptions = {}): Promise<GetResult> {
    validateObjectName(name);
    validateRange(options?.range);
    const { range } = options;
    return this.#retry.run(
      `get ${JSON.stringify(name)}`,
      async () => {
        const read = await this.#openConsistent(name, range);
        if ('empty' in read) return { ...read.empty, bytes: new Uint8Array(0) };
        const parts: Buffer[] = [];
        for await (const chunk of read.media.chunks) parts.push(chunk);
        const bytes = Buffer.concat(parts);
        const expected = read.rangeEnd - read.rangeStart + 1;
        if (bytes.byteLength !== expected) {
          throw new CascadeError(
            'UNAVAILABLE',
            `get ${JSON.stringify(name)}: got ${bytes.byteLength} of ${expected} bytes`,
          );
        }
        return {
          ...read.info,
          bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
          rangeStart: read.rangeStart,
          rangeEnd: read.rangeEnd,
        };
      },
      (e) => this.#noteRetry(e),
    );
  }

  async getStream(name: string, options: GetOptions = {}): Promise<GetStreamResult> {
    validateObjectName(name);
    validateRange(options?.range);
    const what = `get ${JSON.stringify(name)}`;
    const read = await this.#retry.run(
      what,
      () => this.#openConsistent(name, options.range),
      (e) => this.#noteRetry(e),
    );
    if ('empty' in read) return { ...read.empty, stream: (async function* () {})() };
    const { info, rangeStart, rangeEnd, media: firstMedia } = read;
    const store = this;
    // A dropped connection mid-stream resumes where it stopped, pinned to the
    // generation already promised to the caller.
    async function* body(): AsyncGenerator<Uint8Array> {
      let media: OpenMedia = firstMedia;
      let delivered = 0;
      let resumes = 0;
      try {
        for (;;) {
          try {
            for (;;) {
              const next = await media.chunks.next();
              if (next.done) return;
              delivered += next.value.byteLength;
              yield next.value;
            }
          } catch (raw) {
            const error = mapGcsError(raw, what);
            resumes++;
            if (!store.#retry.shouldRetry(error, resumes)) throw error;
            store.#noteRetry(error);
            await store.#retry.backoff(resumes);
            if (rangeStart + delivered > rangeEnd) return;
            const pinned = store.#bucket.file(name, { generation: info.generation });
            media = await openMedia(
              pinned,
              { start: rangeStart + delivered, end: rangeEnd },
              { validate: false },
            ).catch((e: unknown) => {
              throw mapGcsError(e, what);
            });
          }
        }
      } finally {
        await media.chunks.return?.();
      }
    }
    return { ...info, stream: body(), rangeStart, rangeEnd };
  }

  async head(name: string): Promise<ObjectInfo> {
    validateObjectName(name);
    return this.#retry.run(
      `head ${JSON.stringify(name)}`,
      async () => toInfo((await this.#bucket.file(name).getMetadata())[0]),
      (e) => this.#noteRetry(e),
    );
  }

  async *list(options: ListOptions = {}): AsyncIterable<ObjectInfo> {
    validateListOptions(options);
    const { prefix = '', startOffset, endOffset, pageSize = 1000 } = options;
    validateNamePrefix(prefix, 'prefix');
    let pageToken: string | undefined;
    do {
      const query = {
        autoPaginate: false,
        maxResults: Math.min(pageSize, 1000),
        ...(prefix ? { prefix } : {}),
        ...(startOffset !== undefined ? { startOffset } : {}),
        ...(endOffset !== undefined ? { endOffset } : {}),
        ...(pageToken ? { pageToken } : {}),
      };
      const [files, next] = await this.#retry.run(
        'list',
        () => this.#bucket.getFiles(query),
        (e) => this.#noteRetry(e),
      );
      for (const file of files) yield toInfo(file.metadata);
      pageToken = (next as { pageToken?: string } | null | undefined)?.pageToken;
    } while (pageToken);
  }

  async delete(name: string, options: DeleteOptions = {}) {
    validateObjectName(name);
    validateDeleteOptions(options);
    const what = `delete ${JSON.stringify(name)}`;
    let ambiguous = false;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#bucket
          .file(name)
          .delete(
            options.ifGenerationMatch !== undefined
              ? { ifGenerationMatch: options.ifGenerationMatch }
              : {},
          );
        return;
      } catch (raw) {
        const error = mapGcsError(raw, what);
        // An earlier attempt whose answer we lost had already deleted it.
        if (error.code === 'NOT_FOUND' && ambiguous) return;
        if (!this.#retry.shouldRetry(error, attempt)) throw error;
        ambiguous = true;
        this.#noteRetry(error);
        await this.#retry.backoff(attempt);
      }
    }
  }

  async close() {}

  // ---- internals ---------------------------------------------------------

  async #upload(
    name: string,
    options: PutOptions,
    body: () => Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
    md5Hash: string | undefined,
  ): Promise<{ generation: number }> {
    const what = `put ${JSON.stringify(name)}`;
    const writeId = randomUUID();
    let precondition = options.ifGenerationMatch;
    let ambiguous = false; // an earlier attempt may have committed
    for (let attempt = 1; ; attempt++) {
      try {
        if (ambiguous && options.ifGenerationMatch === undefined) {
          const live = await this.#liveWrite(name);
          if (live?.writeId === writeId) return this.#recovered(live.generation);
          precondition = live?.generation ?? 0;
        }
        return {
          generation: await this.#uploadOnce(name, options, body, {
            precondition,
            writeId,
            md5Hash,
          }),
        };
      } catch (raw) {
        const error = mapGcsError(raw, what);
        if (error.code === 'PRECONDITION_FAILED' && ambiguous) {
          const live = await this.#liveWrite(name);
          if (live?.writeId === writeId) return this.#recovered(live.generation);
          // Unconditional: someone wrote between our look and our retry; go again.
          if (options.ifGenerationMatch === undefined && attempt < this.#retry.maxAttempts)
            continue;
          if (options.ifGenerationMatch !== undefined && options.ifGenerationMatch > 0) {
            // Our lost attempt may have replaced the generation and been
            // replaced in turn. Only a live object that itself replaced our
            // expected generation proves that ours never landed.
            if (live?.replaces !== String(options.ifGenerationMatch))
              throw outcomeUnknown(name, error);
          }
        }
        if (!this.#retry.shouldRetry(error, attempt)) throw error;
        ambiguous = true;
        this.#noteRetry(error);
        await this.#retry.backoff(attempt);
      }
    }
  }

  #noteRetry(error: CascadeError): void {
    this.stats.retries++;
    this.#onRetry?.(error);
  }

  #recovered(generation: number): { generation: number } {
    this.stats.recoveredWrites++;
    return { generation };
  }

  async #uploadOnce(
    name: string,
    options: PutOptions,
    body: () => Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
    attempt: { precondition: number | undefined; writeId: string; md5Hash: string | undefined },
  ): Promise<number> {
    const file = this.#bucket.file(name);
    const upload = file.createWriteStream({
      resumable: false,
      validation: false,
      timeout: this.#timeoutMs,
      ...(attempt.precondition !== undefined
        ? { preconditionOpts: { ifGenerationMatch: attempt.precondition } }
        : {}),
      metadata: {
        contentType: options.contentType ?? 'application/octet-stream',
        metadata: {
          ...options.metadata,
          [WRITE_ID]: attempt.writeId,
          ...(attempt.precondition !== undefined
            ? { [REPLACES]: String(attempt.precondition) }
            : {}),
        },
        ...(attempt.md5Hash ? { md5Hash: attempt.md5Hash } : {}),
      },
    });
    await pipeline(Readable.from(body(), { objectMode: false }), upload);
    const generation = Number(file.metadata.generation);
    if (!Number.isSafeInteger(generation) || generation <= 0) {
      throw new CascadeError(
        'INTERNAL',
        `put ${JSON.stringify(name)}: the upload answered without a generation`,
      );
    }
    return generation;
  }

  /** The live generation and its write id, or undefined when absent. */
  async #liveWrite(
    name: string,
  ): Promise<
    { generation: number; writeId: string | undefined; replaces: string | undefined } | undefined
  > {
    try {
      const [metadata] = await this.#retry.run(
        `head ${JSON.stringify(name)}`,
        () => this.#bucket.file(name).getMetadata(),
        (e) => this.#noteRetry(e),
      );
      const tag = (key: string) => {
        const value = metadata.metadata?.[key];
        return typeof value === 'string' ? value : undefined;
      };
      return {
        generation: Number(metadata.generation),
        writeId: tag(WRITE_ID),
        replaces: tag(REPLACES),
      };
    } catch (error) {
      if (error instanceof CascadeError && error.code === 'NOT_FOUND') return undefined;
      throw error;
    }
  }

  /**
   * Fetches metadata and starts the media download in parallel (one round
   * trip), and accepts the pair only when both name the same generation.
   */
  async #openConsistent(
    name: string,
    range: ByteRange | undefined,
  ): Promise<
    | { info: ObjectInfo; media: OpenMedia; rangeStart: number; rangeEnd: number }
    | { empty: ObjectInfo & { rangeStart: number; rangeEnd: number } }
  > {
    const emptyRead = (info: ObjectInfo) => {
      const { start, end } = resolveRange(range, info.size);
      return { empty: { ...info, rangeStart: start, rangeEnd: end } };
    };
    for (let tries = 0; tries < CONSISTENT_READ_ATTEMPTS; tries++) {
      const file = this.#bucket.file(name);
      const metadata = file.getMetadata().then(([m]) => toInfo(m));
      metadata.catch(() => {}); // awaited below on every path
      if (range && 'suffix' in range && range.suffix === 0) {
        return emptyRead(await metadata);
      }
      let media: OpenMedia;
      try {
        media = await openMedia(file, range, { validate: this.#validate });
      } catch (error) {
        // 416: the range starts at or past the end — zero bytes, not an error.
        if (httpStatusOf(error) === 416) return emptyRead(await metadata);
        await metadata.catch(() => {});
        throw error;
      }
      let info: ObjectInfo;
      try {
        info = await metadata;
      } catch (error) {
        await media.chunks.return?.();
        throw error;
      }
      if (info.generation !== media.generation) {
        await media.chunks.return?.();
        continue; // replaced between the two requests: read again
      }
      const { start, end } = resolveRange(range, info.size);
      if (end < start) {
        await media.chunks.return?.();
        return emptyRead(info);
      }
      return { info, media, rangeStart: start, rangeEnd: end };
    }
    throw new CascadeError(
      'UNAVAILABLE',
      `get ${JSON.stringify(name)}: the object kept changing while being read`,
    );
  }
}

function outcomeUnknown(name: string, cause: CascadeError): CascadeError {
  return new CascadeError(
    'UNAVAILABLE',
    `put ${JSON.stringify(name)}: an attempt whose answer was lost may have been applied and then replaced; the outcome is unknown`,
    { cause, details: { name, outcome: 'unknown' } },
  );
}

function toInfo(metadata: FileMetadata): ObjectInfo {
  const custom: Record<string, string> = {};
  for (const [key, value] of Object.entries(metadata.metadata ?? {})) {
    if (key !== WRITE_ID && key !== REPLACES && value !== null && value !== undefined)
      custom[key] = String(value);
  }
  return {
    name: String(metadata.name),
    generation: Number(metadata.generation),
    size: Number(metadata.size ?? 0),
    metadata: custom,
    contentType: metadata.contentType ?? 'application/octet-stream',
    updated: new Date(metadata.updated ?? metadata.timeCreated ?? 0),
  };
}
