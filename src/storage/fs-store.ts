import { randomBytes } from 'node:crypto';
import { type FileHandle, link, open, rename, rmdir, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { crc32 } from 'node:zlib';
import { CascadeError } from '../errors.ts';
import { ensureDir, errnoOf, fsyncDir, isMissing, mapFsError, readAt, writeAt } from './fs-io.ts';
import { encodeEntry, namePieces } from './fs-layout.ts';
import { walkObjects } from './fs-list.ts';
import { FileLocks } from './fs-lock.ts';
import {
  checkPrecondition,
  checksumMismatch,
  headAt,
  liveGeneration,
  notFound,
  preconditionFailed,
  readHeader,
  streamData,
  toInfo,
} from './fs-object.ts';
import { encodeHeader, encodeMeta, FIXED_HEADER_BYTES, type RecordHeader } from './fs-record.ts';
import { openRoot } from './fs-root.ts';
import { validateNamePrefix, validateObjectName } from './names.ts';
import {
  copyMetadata,
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

export interface FsStoreOptions {
  /** The store's root directory; created if missing. */
  root: string;
  /** A lock older than this is broken by waiters (its holder is presumed dead). */
  lockStaleMs?: number;
  /** How long a CAS/delete waits for a name's lock before failing UNAVAILABLE. */
  lockTimeoutMs?: number;
  /** Bytes per chunk yielded by getStream. */
  streamChunkBytes?: number;
}

/**
 * The filesystem backend: the embedded default for local mode and tests.
 *
 * Layout under `root` (version 1):
 *   cascade-store.json   {"format":"cascade-fs-store","version":1}
 *   objects/…            one file per object (fs-record.ts), at a path
 *                        derived from its name (fs-layout.ts); `.tmp-*`
 *                        files beside them are uncommitted writes
 *   locks/<hash>.lock    per-name lock files (fs-lock.ts)
 *
 * Commit protocol: the data and header are written to a temp file in the
 * target directory; create-if-absent then commits with link(temp, final),
 * which fails atomically if the name exists (so two processes racing to
 * create a name get exactly one winner, with no lock); replace and delete
 * take the name's lock, check the live generation, fsync, rename over (or
 * unlink), and fsync the directory. A crash at any point leaves either the
 * old object or the new one, never a mix; leftover temp files are ignored.
 *
 * @example
 * const store = new FsStore({ root: '.local-data/store' });
 * const { generation } = await store.put('a/b', bytes, { ifGenerationMatch: 0 });
 */
export class FsStore implements ObjectStore {
  readonly kind = 'fs';
  readonly root: string;
  readonly #objects: string;
  readonly #locks: FileLocks;
  readonly #chunkBytes: number;
  #ready: Promise<void> | undefined;
  #lastGeneration = 0;

  constructor(options: FsStoreOptions) {
    if (!options || typeof options.root !== 'string' || options.root === '') {
      throw new CascadeError('INVALID_CONFIG', 'FsStore needs a root directory');
    }
    this.root = resolve(options.root);
    this.#objects = join(this.root, 'objects');
    this.#locks = new FileLocks(join(this.root, 'locks'), {
      staleMs: options.lockStaleMs,
      timeoutMs: options.lockTimeoutMs,
    });
    this.#chunkBytes = options.streamChunkBytes ?? 256 * 1024;
  }

  /** Path of the lock file that guards `name` (for tests of stale-lock recovery). */
  lockPathFor(name: string): string {
    return this.#locks.pathFor(name);
  }

  async put(name: string, data: Uint8Array, options: PutOptions = {}) {
    validateObjectName(name);
    validateData(data);
    validatePutOptions(options);
    return this.#write(name, options, true, async (handle, offset) => {
      await writeAt(handle, data, offset);
      return { size: data.byteLength, crc: crc32(data) };
    });
  }

  async putStream(name: string, source: () => AsyncIterable<Uint8Array>, options: PutOptions = {}) {
    validateObjectName(name);
    validateSource(source);
    validatePutOptions(options);
    return this.#write(name, options, false, async (handle, offset) => {
      let size = 0;
      let crc = 0;
      for await (const chunk of source()) {
        validateData(chunk);
        await writeAt(handle, chunk, offset + size);
        size += chunk.byteLength;
        crc = crc32(chunk, crc);
      }
      return { size, crc };
    });
  }

  async get(name: string, options: GetOptions = {}): Promise<GetResult> {
    validateObjectName(name);
    validateRange(options?.range);
    return this.#withObject(name, async (handle, header, where) => {
      const { start, end } = resolveRange(options.range, header.dataLength);
      const length = Math.max(0, end - start + 1);
      const bytes =
        length === 0 ? new Uint8Array(0) : await readAt(handle, length, header.dataOffset + start);
      if (bytes.byteLength !== length) throw mapFsError(new Error('short read'), where);
      if (options.range === undefined && crc32(bytes) !== header.dataCrc) {
        throw checksumMismatch(where);
      }
      return {
        ...toInfo(name, header),
        bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
        rangeStart: start,
        rangeEnd: end,
      };
    });
  }

  async getStream(name: string, options: GetOptions = {}): Promise<GetStreamResult> {
    validateObjectName(name);
    validateRange(options?.range);
    await this.#init();
    const path = this.#pathOf(name);
    const handle = await this.#openObject(name, path);
    try {
      const header = await readHeader(handle, path);
      const { start, end } = resolveRange(options.range, header.dataLength);
      const verify = options.range === undefined;
      const stream = streamData(handle, header, { start, end }, this.#chunkBytes, verify, path);
      return { ...toInfo(name, header), stream, rangeStart: start, rangeEnd: end };
    } catch (error) {
      await handle.close();
      throw mapFsError(error, `get ${JSON.stringify(name)}`);
    }
  }

  async head(name: string): Promise<ObjectInfo> {
    validateObjectName(name);
    return this.#withObject(name, async (_handle, header) => toInfo(name, header));
  }

  async *list(options: ListOptions = {}): AsyncIterable<ObjectInfo> {
    validateListOptions(options);
    const { prefix = '', startOffset, endOffset, pageSize = 1000 } = options;
    validateNamePrefix(prefix, 'prefix');
    await this.#init();
    const bounds = {
      prefix: Buffer.from(prefix, 'utf8'),
      start: startOffset === undefined ? undefined : Buffer.from(startOffset, 'utf8'),
      end: endOffset === undefined ? undefined : Buffer.from(endOffset, 'utf8'),
    };
    // Headers are read a page at a time (in parallel within the page), so a
    // listing holds at most one page of results plus one directory per level.
    let page: { name: string; path: string }[] = [];
    const flush = async () => {
      const infos = await Promise.all(page.map((found) => headAt(found.name, found.path)));
      page = [];
      return infos.filter((found): found is ObjectInfo => found !== undefined);
    };
    try {
      for await (const found of walkObjects(this.#objects, bounds)) {
        page.push(found);
        if (page.length >= Math.min(pageSize, 64)) yield* await flush();
      }
      yield* await flush();
    } catch (error) {
      throw mapFsError(error, 'list');
    }
  }

  async delete(name: string, options: DeleteOptions = {}) {
    validateObjectName(name);
    validateDeleteOptions(options);
    await this.#init();
    const path = this.#pathOf(name);
    try {
      const check = async () => {
        const live = await liveGeneration(path);
        if (live === 0) throw notFound(name);
        checkPrecondition(name, live, options.ifGenerationMatch);
      };
      await this.#locks.withLock(
        name,
        async () => {
          await check();
          await unlink(path);
          await fsyncDir(dirname(path));
        },
        check,
      );
    } catch (error) {
      throw mapFsError(error, `delete ${JSON.stringify(name)}`);
    }
    await this.#pruneEmptyDirs(dirname(path));
  }

  async close() {}

  // ---- internals ---------------------------------------------------------

  #init(): Promise<void> {
    this.#ready ??= openRoot(this.root).then(
      () => undefined,
      (error) => {
        this.#ready = undefined;
        throw mapFsError(error, `opening ${this.root}`);
      },
    );
    return this.#ready;
  }

  #pathOf(name: string): string {
    return join(this.#objects, ...namePieces(name).map(encodeEntry));
  }

  /** Microseconds since the epoch, strictly increasing per name and per process. */
  #nextGeneration(live: number): number {
    const nowMicros = Math.floor((performance.timeOrigin + performance.now()) * 1000);
    const generation = Math.max(nowMicros, live + 1, this.#lastGeneration + 1);
    this.#lastGeneration = generation;
    return generation;
  }

  /**
   * The commit protocol. `produce` writes the data into the temp file at
   * `offset`. `inMemory` data is written while holding the name's lock (it is
   * quick, and losers of a compare-and-swap race then never touch the disk);
   * streamed data is written before the lock is taken.
   */
  async #write(
    name: string,
    options: PutOptions,
    inMemory: boolean,
    produce: (handle: FileHandle, offset: number) => Promise<{ size: number; crc: number }>,
  ): Promise<{ generation: number }> {
    await this.#init();
    const path = this.#pathOf(name);
    const dir = dirname(path);
    const meta = encodeMeta(
      options.contentType ?? 'application/octet-stream',
      copyMetadata(options.metadata),
    );
    const dataOffset = FIXED_HEADER_BYTES + meta.length;
    const wanted = options.ifGenerationMatch;
    // Fail fast, before writing anything, when the precondition is already
    // false (a lost race usually is). Were it true now, the commit checks
    // again where it counts: under the lock, or by link().
    const precheck = async () => {
      if (wanted !== undefined) checkPrecondition(name, await liveGeneration(path), wanted);
    };
    let temp: { handle: FileHandle; path: string } | undefined;
    let committed = false;
    let written: { size: number; crc: number } | undefined;
    const writeTemp = async () => {
      temp = await this.#createTemp(dir);
      written = await produce(temp.handle, dataOffset);
    };
    const seal = async (generation: number) => {
      if (!temp || !written) throw new Error('temp file missing');
      await writeAt(
        temp.handle,
        encodeHeader({ generation, dataLength: written.size, dataCrc: written.crc }, meta),
        0,
      );
      await temp.handle.sync();
    };
    try {
      await precheck();
      if (wanted === 0) {
        // Create-if-absent: link() is atomic and fails if the name exists,
        // across processes, with no lock.
        await writeTemp();
        const generation = this.#nextGeneration(0);
        await seal(generation);
        try {
          await link(temp!.path, path);
        } catch (error) {
          if (errnoOf(error) !== 'EEXIST') throw error;
          throw preconditionFailed(name, 0, await liveGeneration(path).catch(() => -1));
        }
        committed = true;
        await unlink(temp!.path);
        await fsyncDir(dir);
        return { generation };
      }
      if (!inMemory) await writeTemp();
      return await this.#locks.withLock(
        name,
        async (slot) => {
          if (inMemory) await writeTemp();
          for (;;) {
            const live = await liveGeneration(path);
            checkPrecondition(name, live, wanted);
            const generation = this.#nextGeneration(live);
            await seal(generation);
            if (live === 0) {
              try {
                await link(temp!.path, path);
              } catch (error) {
                // A lock-free create won the name meanwhile: replace it (only
                // an unconditional put gets here; a conditional one failed above).
                if (errnoOf(error) === 'EEXIST') continue;
                throw error;
              }
              committed = true;
              await unlink(temp!.path);
            } else {
              await rename(temp!.path, path);
              committed = true;
            }
            await fsyncDir(dir);
            slot.lastCommitted = generation;
            return { generation };
          }
        },
        async (slot) => {
          // Callers queued behind a commit of ours in this process: generations
          // only grow, so one that wants an older generation has lost — no I/O.
          if (
            wanted !== undefined &&
            wanted > 0 &&
            slot.lastCommitted !== undefined &&
            wanted < slot.lastCommitted
          ) {
            throw preconditionFailed(name, wanted, slot.lastCommitted);
          }
          await precheck();
        },
      );
    } catch (error) {
      throw mapFsError(error, `put ${JSON.stringify(name)}`);
    } finally {
      const leftover = temp as { handle: FileHandle; path: string } | undefined;
      if (leftover) {
        await leftover.handle.close().catch(() => {});
        if (!committed) await unlink(leftover.path).catch(() => {});
      }
    }
  }

  async #createTemp(dir: string): Promise<{ handle: FileHandle; path: string }> {
    for (let attempt = 0; ; attempt++) {
      const path = join(dir, `.tmp-${randomBytes(8).toString('hex')}`);
      try {
        return { handle: await open(path, 'wx'), path };
      } catch (error) {
        // A delete may prune the (empty) directory between our mkdir and open.
        if (errnoOf(error) !== 'ENOENT' || attempt >= 8)
          throw mapFsError(error, `creating a temp file in ${dir}`);
        await ensureDir(dir, this.#objects).catch((e) => {
          throw mapFsError(e, `creating ${dir}`);
        });
      }
    }
  }

  async #openObject(name: string, path: string): Promise<FileHandle> {
    try {
      return await open(path, 'r');
    } catch (error) {
      if (isMissing(error)) throw notFound(name);
      throw mapFsError(error, `open ${JSON.stringify(name)}`);
    }
  }

  async #withObject<T>(
    name: string,
    fn: (handle: FileHandle, header: RecordHeader, where: string) => Promise<T>,
  ): Promise<T> {
    await this.#init();
    const path = this.#pathOf(name);
    const handle = await this.#openObject(name, path);
    try {
      return await fn(handle, await readHeader(handle, path), path);
    } catch (error) {
      throw mapFsError(error, `read ${JSON.stringify(name)}`);
    } finally {
      await handle.close();
    }
  }

  async #pruneEmptyDirs(dir: string): Promise<void> {
    for (
      let current = dir;
      current.startsWith(this.#objects) && current !== this.#objects;
      current = dirname(current)
    ) {
      try {
        await rmdir(current);
      } catch {
        return; // not empty (or already gone): stop
      }
    }
  }
}
