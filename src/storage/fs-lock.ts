import { createHash, randomBytes } from 'node:crypto';
import { open, readFile, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { CascadeError } from '../errors.ts';

/**
 * Per-name mutual exclusion across async callers, threads and OS processes,
 * for the filesystem backend's compare-and-swap, unconditional replace and
 * delete. (Create-if-absent needs no lock: it commits with link(), which
 * fails atomically when the name exists.)
 *
 * Choice: one lock file per name, `<locks>/<sha256(name)>.lock`, created with
 * O_CREAT|O_EXCL — portable, visible with `ls`, and needing no native
 * module (Node has no flock). Inside one process a promise chain per name
 * queues callers so only one of them polls the file.
 *
 * A lock file holds {pid, host, token, at}. A waiter breaks it when it is
 * stale: its holder ran on this host and that pid is gone, or it is older
 * than `staleMs` (holders keep a lock for milliseconds: read a header,
 * write it, fsync, rename). Breaking happens under a second O_EXCL file,
 * `<lock>.break`, and re-checks the token, so two waiters never remove a
 * fresh lock that replaced the stale one. A holder that was paused for longer
 * than `staleMs` could lose its lock; the default (30 s) makes that a
 * pathological case, not a normal one.
 */
export class FileLocks {
  readonly #dir: string;
  readonly #staleMs: number;
  readonly #timeoutMs: number;
  readonly #host = hostname();
  readonly #queues = new Map<string, { tail: Promise<void>; slot: LockSlot }>();

  constructor(dir: string, options: { staleMs?: number; timeoutMs?: number } = {}) {
    this.#dir = dir;
    this.#staleMs = options.staleMs ?? 30_000;
    this.#timeoutMs = options.timeoutMs ?? 60_000;
  }

  /** The lock file that guards `key` (exposed for tests of stale-lock recovery). */
  pathFor(key: string): string {
    return join(this.#dir, `${createHash('sha256').update(key).digest('hex').slice(0, 40)}.lock`);
  }

  /**
   * Runs `fn` while holding the lock for `key`. `beforeAcquire` runs when
   * this caller's turn in the process comes, before the lock file is taken:
   * a caller whose precondition already fails can give up without touching
   * the lock (under contention most callers are such losers).
   */
  async withLock<T>(
    key: string,
    fn: (slot: LockSlot) => Promise<T>,
    beforeAcquire?: (slot: LockSlot) => Promise<void>,
  ): Promise<T> {
    const queue = this.#queues.get(key);
    const previous = queue?.tail ?? Promise.resolve();
    const slot = queue?.slot ?? {};
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => mine);
    this.#queues.set(key, { tail, slot });
    await previous;
    try {
      await beforeAcquire?.(slot);
      const path = this.pathFor(key);
      const token = await this.#acquire(path, key);
      try {
        return await fn(slot);
      } finally {
        await this.#release(path, token);
      }
    } finally {
      release();
      if (this.#queues.get(key)?.tail === tail) this.#queues.delete(key);
    }
  }

  async #acquire(path: string, key: string): Promise<string> {
    const token = randomBytes(8).toString('hex');
    const body = JSON.stringify({ pid: process.pid, host: this.#host, token, at: Date.now() });
    const deadline = Date.now() + this.#timeoutMs;
    let pause = 1;
    for (;;) {
      try {
        const handle = await open(path, 'wx');
        try {
          await handle.writeFile(body);
        } finally {
          await handle.close();
        }
        return token;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      await this.#breakIfStale(path);
      if (Date.now() > deadline) {
        throw new CascadeError(
          'UNAVAILABLE',
          `timed out waiting for the lock on ${JSON.stringify(key)}`,
          {
            details: { lock: path },
          },
        );
      }
      await sleep(pause * (0.5 + Math.random()));
      pause = Math.min(pause * 2, 25);
    }
  }

  async #release(path: string, token: string): Promise<void> {
    const holder = await readHolder(path);
    if (holder?.token === token) await unlink(path).catch(ignoreMissing);
  }

  async #breakIfStale(path: string): Promise<void> {
    const seen = await readHolder(path);
    if (!(await this.#isStale(path, seen))) return;
    const breaker = `${path}.break`;
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(breaker, 'wx');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // A breaker that died mid-break leaves this file; it is only ever held
      // for two file operations, so an old one is safe to clear.
      const info = await stat(breaker).catch(() => undefined);
      if (info && Date.now() - info.mtimeMs > 5_000) await unlink(breaker).catch(ignoreMissing);
      return;
    }
    try {
      const now = await readHolder(path);
      if (now?.token === seen?.token && (await this.#isStale(path, now))) {
        await unlink(path).catch(ignoreMissing);
      }
    } finally {
      await handle.close();
      await unlink(breaker).catch(ignoreMissing);
    }
  }

  async #isStale(path: string, holder: Holder | undefined): Promise<boolean> {
    if (holder && holder.host === this.#host && !pidAlive(holder.pid)) return true;
    // An unreadable (half-written) lock file is judged by its age alone.
    const since = holder?.at ?? (await stat(path).catch(() => undefined))?.mtimeMs;
    return since !== undefined && Date.now() - since > this.#staleMs;
  }
}

/**
 * Scratch state shared by this process's callers queued for one key; it
 * lives while the queue does.
 */
export interface LockSlot {
  /** The last generation committed under this lock by this process. */
  lastCommitted?: number;
}

interface Holder {
  pid: number;
  host: string;
  token: string;
  at: number;
}

async function readHolder(path: string): Promise<Holder | undefined> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<Holder>;
    if (
      typeof parsed.pid === 'number' &&
      typeof parsed.host === 'string' &&
      typeof parsed.token === 'string' &&
      typeof parsed.at === 'number'
    ) {
      return parsed as Holder;
    }
  } catch {
    // missing or half-written
  }
  return undefined;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function ignoreMissing(error: unknown): void {
  if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
