/**
 * One partition's appender: group commit with put-if-absent, as DESIGN.md's
 * "Write path" describes.
 *
 * Commit protocol. Messages wait up to `lingerMs` (or until a batch limit) and
 * are then written as ONE Avro data object named by the partition's next base
 * offset, created with `ifGenerationMatch: 0`. Only one commit per appender
 * is in flight, so a process keeps the order in which it was called. When the
 * create fails because the name exists (PRECONDITION_FAILED, or RATE_LIMITED
 * and the object is there), another writer won that offset: the appender
 * reads the winner's header, advances its head past it and tries again at the
 * new base with its batch intact, topped up with whatever arrived meanwhile.
 * After an ambiguous failure (UNAVAILABLE, RATE_LIMITED) it looks at the name
 * again: if the object there carries one of this batch's attempt ids, that
 * attempt did land and is counted once. Offsets therefore stay dense: a
 * record's offset is only ever the base of a successful create plus its index.
 *
 * Dedup design. Every data object carries its message ids in its Avro header
 * (`cascade.message_ids`) and the header length in its object metadata, so
 * one small ranged read tells an appender which ids another process wrote.
 * An appender only ever commits at its head, and it reaches that head by
 * reading every object it advances over (or, at cold start, every object in
 * the dedup window, found by listing forward from the head hint's
 * `dedupFrom`). So before a create succeeds at base N the appender has seen
 * the ids of every object before N within the window, and any message whose
 * id is among them is answered with the earlier copy's offset instead of
 * being written again — whichever process received the redelivery. Learning
 * others' ids costs nothing extra in the common case: the reads are the ones
 * the commit protocol needs to advance anyway.
 */
import { randomUUID } from 'node:crypto';
import { CascadeError } from '../errors.ts';
import type { Logger } from '../observability/index.ts';
import type { ObjectStore } from '../storage/index.ts';
import {
  type AppenderStats,
  type AppenderTuning,
  DEFAULT_TUNING,
  emptyStats,
} from './appender-tuning.ts';
import { type CommitOutcome, createIfAbsent, probeName } from './commit-attempt.ts';
import { buildDataObject } from './data-object.ts';
import { DedupIndex } from './dedup-index.ts';
import { writeHeadHint } from './head-hint.ts';
import { headHintName, tailObjectName } from './names.ts';
import { readObjectIds, scanPartition } from './partition-scan.ts';
import { type PendingEntry, PendingQueue, validateMessage } from './pending-queue.ts';
import type { AppendResult, LogMessage, StreamSettings } from './types.ts';

export interface PartitionAppenderOptions {
  store: ObjectStore;
  stream: StreamSettings;
  partition: number;
  logger: Logger;
  clock: () => number;
  tuning?: Partial<AppenderTuning>;
}

/** A head not confirmed for this long is found again by a scan before the next commit. */
const HEAD_MAX_IDLE_MS = 5 * 60 * 1000;

/** Appends messages to one partition; see the comment at the top of this file. */
export class PartitionAppender {
  readonly partition: number;
  readonly stats: AppenderStats = emptyStats();
  #store: ObjectStore;
  #stream: StreamSettings;
  #logger: Logger;
  #clock: () => number;
  #tuning: AppenderTuning;
  #queue: PendingQueue;
  #dedup: DedupIndex;
  #head: number | undefined;
  /** The batch being committed; failures reject exactly these entries. */
  #inflight: PendingEntry[] = [];
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #closing = false;
  #lastHintAt = Number.NEGATIVE_INFINITY;
  /** When #head was last confirmed by a scan, a commit or a lost race. */
  #headSeenAt = Number.NEGATIVE_INFINITY;
  #hintWrite: Promise<void> | undefined;

  constructor(options: PartitionAppenderOptions) {
    this.partition = options.partition;
    this.#store = options.store;
    this.#stream = options.stream;
    this.#logger = options.logger;
    this.#clock = options.clock;
    this.#tuning = { ...DEFAULT_TUNING, ...options.tuning };
    this.#queue = new PendingQueue(options.stream);
    this.#dedup = new DedupIndex(options.stream.dedupWindowMs);
  }

  /** Resolves once the message is durable (or proven a duplicate). */
  append(message: LogMessage): Promise<AppendResult> {
    if (this.#closing) {
      return Promise.reject(new CascadeError('CLOSED', 'the appender is closed'));
    }
    try {
      validateMessage(message, this.#stream.maxBatchBytes);
      const promise = this.#queue.push(message, this.partition);
      this.#schedule();
      return promise;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Commits everything pending, then rejects new appends with CLOSED. */
  async close(): Promise<void> {
    this.#closing = true;
    this.#schedule();
    while (this.#running) await this.#running;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#hintWrite;
  }

  #schedule(): void {
    if (this.#running || this.#queue.length === 0) return;
    if (this.#closing || this.#queue.full()) {
      if (this.#timer) clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#running = this.#commitNext().finally(() => {
        this.#running = undefined;
        this.#schedule();
      });
      return;
    }
    if (this.#timer) return;
    const wait = Math.max(0, this.#queue.oldestArrival() + this.#stream.lingerMs - Date.now());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#running || this.#queue.length === 0) return;
      this.#running = this.#commitNext().finally(() => {
        this.#running = undefined;
        this.#schedule();
      });
    }, wait);
  }

  /** Commits one batch; never throws (failures reject the batch's entries). */
  async #commitNext(): Promise<void> {
    this.#inflight = [];
    try {
      await this.#ensureHead();
      this.#inflight = this.#queue.take([]);
      await this.#commit();
    } catch (error) {
      const failed = this.#inflight.length > 0 ? this.#inflight : this.#queue.take([]);
      for (const entry of failed) this.#queue.fail(entry, error);
      this.#logger.warn(
        { partition: this.partition, err: String(error), messages: failed.length },
        'append failed',
      );
    }
  }

  async #ensureHead(): Promise<void> {
    // A head idle for long may lie below objects that compaction has since
    // merged and deleted; creating there would succeed and lose the batch.
    // Rescanning well within the compactor's minimum object age plus grace
    // period (see Compactor) keeps that from happening.
    const fresh = this.#clock() - this.#headSeenAt < HEAD_MAX_IDLE_MS;
    if (this.#head !== undefined && fresh) return;
    const windowStart = this.#clock() - this.#stream.dedupWindowMs;
    const { head, recent } = await scanPartition(
      this.#store,
      this.#stream,
      this.partition,
      windowStart,
    );
    // The scan covers the whole window, so it replaces what we knew.
    this.#dedup = new DedupIndex(this.#stream.dedupWindowMs);
    for (const object of recent) this.#dedup.add(object.base, object.messageIds, object.ingestMs);
    this.#head = head;
    this.#headSeenAt = this.#clock();
    this.#logger.debug({ partition: this.partition, head, recent: recent.length }, 'head found');
  }

  /** Drives one batch to durability, advancing over other writers' commits. */
  async #commit(): Promise<void> {
    const attempts = new Map<string, { base: number; entries: PendingEntry[] }>();
    let lostRaces = 0;
    let observed = 0;
    let storageFailures = 0;
    let probe = false;
    for (;;) {
      this.#dedup.evict(this.#clock());
      this.#inflight = this.#resolveDuplicates(this.#inflight);
      if (this.#inflight.length === 0) return;
      const base = this.#head!;
      const name = tailObjectName(this.#stream, this.partition, base);
      // After a lost race, look before writing: objects that landed while we
      // backed off then cost one read each instead of a failed create.
      let outcome: Outcome | undefined;
      if (probe) {
        const looked = await probeName(this.#store, name);
        if (looked !== 'free') outcome = looked;
      }
      const probed = outcome?.kind === 'taken';
      if (outcome === undefined) {
        const batchId = randomUUID();
        attempts.set(batchId, { base, entries: this.#inflight });
        outcome = await this.#tryCreate(base, this.#inflight, batchId);
      }
      probe = false;
      if (outcome.kind === 'committed') {
        this.#committed(base, this.#inflight, outcome.ingestMs ?? this.#clock());
        return;
      }
      if (outcome.kind === 'taken') {
        const winner = outcome.winner ?? (await readObjectIds(this.#store, name));
        const ours = attempts.get(winner.batchId);
        if (ours && ours.base === winner.base) {
          // An earlier attempt of ours landed although we were told it failed.
          this.#committed(winner.base, ours.entries, winner.ingestMs);
          const landed = new Set(ours.entries);
          this.#inflight = this.#queue.take(this.#inflight.filter((entry) => !landed.has(entry)));
          continue;
        }
        this.#dedup.add(winner.base, winner.messageIds, winner.ingestMs);
        this.#head = winner.base + winner.count;
        this.#headSeenAt = this.#clock();
        storageFailures = 0;
        probe = true;
        if (probed) {
          if (++observed > this.#tuning.maxLostRaces * 8) throw this.#contention(lostRaces);
        } else {
          this.stats.lostRaces++;
          if (++lostRaces > this.#tuning.maxLostRaces) throw this.#contention(lostRaces);
          // Back off with jitter, longer after each loss, so racing writers
          // fall out of step; meanwhile the batch keeps accumulating.
          const scale = Math.max(this.#stream.lingerMs, 2);
          await sleep(Math.random() * scale * Math.min(2 ** (lostRaces - 1), 16));
        }
        this.#inflight = this.#queue.take(this.#inflight);
        continue;
      }
      if (++storageFailures > this.#tuning.maxStorageRetries) throw outcome.error;
      const backoff = this.#tuning.retryBaseMs * 2 ** (storageFailures - 1);
      await sleep(Math.random() * Math.min(backoff, 2000));
      this.#inflight = this.#queue.take(this.#inflight);
    }
  }

  #contention(lostRaces: number): CascadeError {
    return new CascadeError('CONTENTION', `lost ${lostRaces} races for one batch`, {
      details: { partition: this.partition, head: this.#head },
    });
  }

  /** Settles entries whose id is known or repeated; returns the ones to write. */
  #resolveDuplicates(batch: PendingEntry[]): PendingEntry[] {
    const unique: PendingEntry[] = [];
    const leaders = new Map<string, PendingEntry>();
    for (const entry of batch) {
      const id = entry.message.messageId;
      const earlier = this.#dedup.lookup(id);
      if (earlier !== undefined) {
        this.stats.duplicates++;
        this.#queue.resolve(entry, { partition: this.partition, offset: earlier, duplicate: true });
        continue;
      }
      const leader = leaders.get(id);
      if (leader) {
        leader.followers = [...(leader.followers ?? []), entry];
        continue;
      }
      leaders.set(id, entry);
      unique.push(entry);
    }
    return unique;
  }

  async #tryCreate(base: number, entries: PendingEntry[], batchId: string): Promise<Outcome> {
    const ingestMs = this.#clock();
    const { bytes, metadata } = await buildDataObject(
      entries.map((entry) => entry.message),
      base,
      batchId,
      Math.floor(ingestMs * 1000),
    );
    const name = tailObjectName(this.#stream, this.partition, base);
    this.stats.attempts++;
    const started = Date.now();
    const outcome = await createIfAbsent(this.#store, name, bytes, metadata);
    if (outcome.kind === 'committed') {
      // One line per batch commit (the ingest issue's observability contract).
      this.#logger.info(
        {
          partition: this.partition,
          baseOffset: base,
          count: entries.length,
          bytes: bytes.byteLength,
          latencyMs: Date.now() - started,
        },
        'batch committed',
      );
    }
    return { ...outcome, ingestMs };
  }

  #committed(base: number, entries: PendingEntry[], ingestMs: number): void {
    this.#dedup.add(
      base,
      entries.map((entry) => entry.message.messageId),
      ingestMs,
    );
    this.#head = Math.max(this.#head ?? 0, base + entries.length);
    this.#headSeenAt = this.#clock();
    this.stats.commits++;
    this.stats.records += entries.length;
    entries.forEach((entry, i) => {
      this.#queue.resolve(entry, { partition: this.partition, offset: base + i, duplicate: false });
    });
    this.#maybeWriteHint();
  }

  #maybeWriteHint(): void {
    const now = Date.now();
    if (this.#hintWrite || now - this.#lastHintAt < this.#tuning.hintIntervalMs) return;
    this.#lastHintAt = now;
    this.stats.hintWrites++;
    const head = this.#head!;
    const hint = { head, dedupFrom: this.#dedup.oldestBase() ?? head };
    const name = headHintName(this.#stream, this.partition);
    this.#hintWrite = writeHeadHint(this.#store, name, hint)
      .catch((error: unknown) => {
        this.#logger.debug(
          { partition: this.partition, err: String(error) },
          'head hint not written',
        );
      })
      .finally(() => {
        this.#hintWrite = undefined;
      });
  }
}

type Outcome = CommitOutcome & { ingestMs?: number };

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
