import { CascadeError } from '../errors.ts';
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
  DeleteOptions,
  GetOptions,
  GetResult,
  GetStreamResult,
  ListOptions,
  ObjectInfo,
  ObjectStore,
  PutOptions,
} from './types.ts';

const STREAM_CHUNK_BYTES = 256 * 1024;

interface Stored {
  info: ObjectInfo;
  bytes: Uint8Array;
}

/**
 * An in-process object store for unit tests of logic. It honours the same
 * contract as the real backends (the conformance suite runs against it too)
 * but is never the only test of an integration.
 */
export class MemoryStore implements ObjectStore {
  readonly kind = 'memory';
  #objects = new Map<string, Stored>();
  #generation = 0;
  /** Counts of operations, for tests that assert how many reads a lookup costs. */
  readonly ops = { put: 0, get: 0, head: 0, list: 0, delete: 0 };

  async put(name: string, data: Uint8Array, options: PutOptions = {}) {
    validateObjectName(name);
    validateData(data);
    validatePutOptions(options);
    return this.#commit(name, new Uint8Array(data), options);
  }

  /** Stores `bytes` (owned by the store from here on). */
  #commit(name: string, bytes: Uint8Array, options: PutOptions = {}) {
    this.ops.put++;
    const existing = this.#objects.get(name);
    checkPrecondition(name, existing?.info.generation ?? 0, options.ifGenerationMatch);
    const generation = ++this.#generation;
    this.#objects.set(name, {
      bytes,
      info: {
        name,
        generation,
        size: bytes.byteLength,
        metadata: { ...(options.metadata ?? {}) },
        contentType: options.contentType ?? 'application/octet-stream',
        updated: new Date(),
      },
    });
    return { generation };
  }

  async putStream(name: string, source: () => AsyncIterable<Uint8Array>, options?: PutOptions) {
    validateObjectName(name);
    validateSource(source);
    validatePutOptions(options);
    const chunks: Uint8Array[] = [];
    for await (const chunk of source()) {
      validateData(chunk);
      chunks.push(chunk);
    }
    return this.#commit(name, Buffer.concat(chunks), options);
  }

  async get(name: string, options: GetOptions = {}): Promise<GetResult> {
    validateObjectName(name);
    validateRange(options?.range);
    this.ops.get++;
    const stored = this.#find(name);
    const { start, end } = resolveRange(options.range, stored.info.size);
    return {
      ...stored.info,
      metadata: { ...stored.info.metadata },
      bytes: stored.bytes.slice(start, end + 1),
      rangeStart: start,
      rangeEnd: end,
    };
  }

  async getStream(name: string, options?: GetOptions): Promise<GetStreamResult> {
    const { bytes, ...rest } = await this.get(name, options);
    return {
      ...rest,
      // Chunked like the other backends, so consumers see the same shapes.
      stream: (async function* () {
        for (let at = 0; at < bytes.byteLength; at += STREAM_CHUNK_BYTES) {
          yield bytes.subarray(at, at + STREAM_CHUNK_BYTES);
        }
      })(),
    };
  }

  async head(name: string): Promise<ObjectInfo> {
    validateObjectName(name);
    this.ops.head++;
    const stored = this.#find(name);
    return { ...stored.info, metadata: { ...stored.info.metadata } };
  }

  async *list(options: ListOptions = {}): AsyncIterable<ObjectInfo> {
    validateListOptions(options);
    const { prefix = '', startOffset, endOffset } = options;
    validateNamePrefix(prefix, 'prefix');
    this.ops.list++;
    const names = [...this.#objects.keys()]
      .filter(
        (n) =>
          n.startsWith(prefix) &&
          (startOffset === undefined || compareNames(n, startOffset) >= 0) &&
          (endOffset === undefined || compareNames(n, endOffset) < 0),
      )
      .sort(compareNames);
    for (const n of names) {
      const stored = this.#objects.get(n);
      if (stored) yield { ...stored.info, metadata: { ...stored.info.metadata } };
    }
  }

  async delete(name: string, options: DeleteOptions = {}) {
    validateObjectName(name);
    validateDeleteOptions(options);
    this.ops.delete++;
    const stored = this.#find(name);
    checkPrecondition(name, stored.info.generation, options.ifGenerationMatch);
    this.#objects.delete(name);
  }

  async close() {}

  #find(name: string): Stored {
    const stored = this.#objects.get(name);
    if (!stored) throw new CascadeError('NOT_FOUND', `no object named ${JSON.stringify(name)}`);
    return stored;
  }
}

/** Byte-wise (UTF-8) order, which is the order Cloud Storage lists in. */
export function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function checkPrecondition(name: string, live: number, wanted: number | undefined) {
  if (wanted === undefined || wanted === live) return;
  throw new CascadeError(
    'PRECONDITION_FAILED',
    `precondition failed for ${JSON.stringify(name)}: wanted generation ${wanted}, live is ${live}`,
    { details: { name, wanted, live } },
  );
}
