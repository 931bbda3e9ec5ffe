import { createHash, randomUUID } from 'node:crypto';
import { type Bucket, Storage, type StorageOptions } from '@google-cloud/storage';
import { CascadeError } from '../errors.ts';
import { DownloadCheck } from './gcs-check.ts';
import { mapGcsError } from './gcs-errors.ts';
import { openConsistent, openMedia, resumingBody } from './gcs-media.ts';
import { outcomeUnknown, toInfo, type WriteTags, writeTags } from './gcs-object.ts';
import { type GcsRetryOptions, RetryPolicy } from './gcs-retry.ts';
import { uploadOnce } from './gcs-upload.ts';
import { validateNamePrefix, validateObjectName } from './names.ts';
import {
  validateData,
  validateDeleteOptions,
  validateListOptions,
  validatePutOptions,
  validateSource,
} from './options.ts';
import { validateRange } from './range.ts';
import type {
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
  /** Check whole-object downloads against the stored MD5 (or CRC32C) (default true). */
  validateDownloads?: boolean;
  /** Called before each retry with the error that caused it (for logs and tests). */
  onRetry?: (error: CascadeError) => void;
}

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
        const read = await openConsistent(this.#bucket, name, range);
        if ('empty' in read) return { ...read.empty, bytes: new Uint8Array(0) };
        const parts: Buffer[] = [];
        for await (const chunk of read.media.chunks) parts.push(chunk);
        const bytes = Buffer.concat(parts);
        if (range === undefined && this.#validate) {
          const check = new DownloadCheck(read.media.xGoogHash);
          check.update(bytes);
          check.verify(`get ${JSON.stringify(name)}`);
        }
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
      () => openConsistent(this.#bucket, name, options.range),
      (e) => this.#noteRetry(e),
    );
    if ('empty' in read) return { ...read.empty, stream: (async function* () {})() };
    const { info, rangeStart, rangeEnd, media } = read;
    // A dropped connection mid-stream resumes where it stopped, pinned to the
    // generation already promised to the caller.
    const pinned = this.#bucket.file(name, { generation: info.generation });
    const stream = resumingBody(
      media,
      { start: rangeStart, end: rangeEnd },
      (start) => openMedia(pinned, { start, end: rangeEnd }),
      { policy: this.#retry, what, onRetry: (e) => this.#noteRetry(e) },
      options.range === undefined && this.#validate
        ? new DownloadCheck(media.xGoogHash)
        : undefined,
    );
    return { ...info, stream, rangeStart, rangeEnd };
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
          generation: await uploadOnce(this.#bucket, name, options, body, {
            precondition,
            writeId,
            md5Hash,
            timeoutMs: this.#timeoutMs,
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

  /** The live generation and its write tags, or undefined when absent. */
  async #liveWrite(name: string): Promise<WriteTags | undefined> {
    try {
      const [metadata] = await this.#retry.run(
        `head ${JSON.stringify(name)}`,
        () => this.#bucket.file(name).getMetadata(),
        (e) => this.#noteRetry(e),
      );
      return writeTags(metadata);
    } catch (error) {
      if (error instanceof CascadeError && error.code === 'NOT_FOUND') return undefined;
      throw error;
    }
  }
}
