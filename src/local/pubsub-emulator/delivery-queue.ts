import type { DeliveryPolicy, Lease, StoredMessage, TakeOptions } from './types.ts';

interface Entry {
  readonly message: StoredMessage;
  acked: boolean;
  dropped: boolean;
  queued: boolean;
  attempts: number;
  availableAt: number;
  lease: Lease | undefined;
}

/**
 * The per-subscription state machine of message delivery: which messages are
 * ready, which are leased (and until when), which are acked, and in what
 * order ordered keys may proceed. It never touches the network; callers
 * drive it with the emulator clock's `now` and move the messages it returns.
 */
export class DeliveryQueue {
  policy: DeliveryPolicy;
  private readonly ackPrefix: string;
  private ackCounter = 0;
  // Every retained message in publish order (acked ones only while retained).
  private entries: Entry[] = [];
  private ready: Entry[] = [];
  private readyHead = 0;
  private redeliver: Entry[] = [];
  private readonly keyed = new Map<string, Entry[]>();
  private readonly keyOutstanding = new Map<string, number>();
  private readonly leases = new Map<string, Lease>();
  private readonly leaseEntry = new Map<Lease, Entry>();
  private unacked = 0;
  // Settled (acked, dead-lettered, dropped) entries still in `entries`; compaction bound.
  private settledInEntries = 0;
  private readonly onDeadLetter: (message: StoredMessage, attempts: number) => void;

  constructor(
    ackPrefix: string,
    policy: DeliveryPolicy,
    onDeadLetter: (message: StoredMessage, attempts: number) => void,
  ) {
    this.ackPrefix = ackPrefix;
    this.policy = policy;
    this.onDeadLetter = onDeadLetter;
  }

  /** Messages neither acked nor dropped. */
  get backlog(): number {
    return this.unacked;
  }

  /** Leases currently outstanding. */
  get outstanding(): number {
    return this.leases.size;
  }

  /** Accepts a newly published message. */
  add(message: StoredMessage, now: number): void {
    const entry = newEntry(message, false, now);
    this.entries.push(entry);
    this.unacked++;
    this.enqueue(entry);
  }

  /** Leases up to the given number of deliverable messages, oldest first. */
  take(options: TakeOptions): Lease[] {
    const out: Lease[] = [];
    let bytes = 0;
    const fits = (entry: Entry): boolean =>
      out.length < options.maxMessages &&
      (out.length === 0 || bytes + entry.message.size <= options.maxBytes);
    const lease = (entry: Entry): void => {
      bytes += entry.message.size;
      out.push(this.lease(entry, options));
    };

    if (this.redeliver.length > 0) {
      const keep: Entry[] = [];
      for (const entry of this.redeliver) {
        if (!deliverable(entry)) entry.queued = false;
        else if (entry.availableAt <= options.now && fits(entry)) {
          entry.queued = false;
          lease(entry);
        } else keep.push(entry);
      }
      this.redeliver = keep;
    }
    for (const [key, list] of this.keyed) {
      if (out.length >= options.maxMessages) break;
      if ((this.keyOutstanding.get(key) ?? 0) > 0) continue;
      for (let i = 0; i < list.length && i < options.perKeyLimit; i++) {
        const entry = list[i]!;
        if (entry.availableAt > options.now || !fits(entry)) break;
        lease(entry);
      }
    }
    while (this.readyHead < this.ready.length) {
      const entry = this.ready[this.readyHead]!;
      if (deliverable(entry) && !fits(entry)) break;
      this.readyHead++;
      entry.queued = false;
      if (deliverable(entry)) lease(entry);
    }
    if (this.readyHead > 1024 && this.readyHead * 2 > this.ready.length) {
      this.ready = this.ready.slice(this.readyHead);
      this.readyHead = 0;
    }
    return out;
  }

  /** Acknowledges a delivery; false when the ack id is stale or unknown. */
  ack(ackId: string): boolean {
    const lease = this.leases.get(ackId);
    if (lease === undefined) return false;
    const entry = this.release(lease);
    this.settle(entry);
    return true;
  }

  /** Extends a lease, or nacks it when `seconds` is 0; false when the ack id is stale. */
  modifyDeadline(ackId: string, seconds: number, now: number): boolean {
    const lease = this.leases.get(ackId);
    if (lease === undefined) return false;
    if (seconds === 0) this.nack(lease, now);
    else lease.deadline = now + seconds * 1000;
    return true;
  }

  /** Gives a delivery back for redelivery after the policy's backoff. */
  nack(lease: Lease, now: number): void {
    if (!this.leases.has(lease.ackId)) return;
    const entry = this.release(lease);
    const max = this.policy.maxDeliveryAttempts;
    if (max !== undefined && entry.attempts >= max) {
      this.settle(entry);
      this.onDeadLetter(entry.message, entry.attempts);
      return;
    }
    entry.availableAt = now + this.policy.backoffMs(entry.attempts);
    const key = this.orderingKey(entry);
    if (key === undefined) {
      entry.queued = true;
      this.redeliver.push(entry);
      return;
    }
    // Ordered delivery: everything after the nacked message of its key comes again after it.
    const list = this.keyed.get(key) ?? [];
    for (const later of list.slice(list.indexOf(entry) + 1)) {
      if (later.lease !== undefined) this.release(later.lease);
    }
  }

  /** Nacks every lease whose deadline has passed; returns how many expired. */
  expire(now: number): number {
    const due: Lease[] = [];
    for (const lease of this.leases.values()) if (lease.deadline <= now) due.push(lease);
    for (const lease of due) this.nack(lease, now);
    return due.length;
  }

  /** Drops messages older than the retention window and forgets unretained acked ones. */
  prune(now: number): void {
    const cutoff = now - this.policy.retentionMs;
    let changed = false;
    for (const entry of this.entries) {
      if (entry.message.publishTime >= cutoff) break;
      if (entry.lease !== undefined) this.release(entry.lease);
      if (!entry.acked) this.settle(entry);
      entry.dropped = true;
      changed = true;
    }
    const wasteful =
      !this.policy.retainAcked &&
      this.settledInEntries > 1024 &&
      this.settledInEntries * 2 > this.entries.length;
    if (changed || wasteful) {
      const keepAcked = this.policy.retainAcked;
      this.entries = this.entries.filter((e) => !e.dropped && (!e.acked || keepAcked));
      this.settledInEntries = this.entries.filter((e) => e.acked).length;
    }
  }

  /** Unacked messages in publish order (what a snapshot captures). */
  unackedMessages(): StoredMessage[] {
    return this.entries.filter((e) => !e.acked && !e.dropped).map((e) => e.message);
  }

  /** Every retained message (acked or not) in publish order. */
  retainedMessages(): StoredMessage[] {
    return this.entries.filter((e) => !e.dropped).map((e) => e.message);
  }

  /**
   * Rewrites the acked state of every retained message (and of `extra`
   * messages the subscription no longer or never held) as a Seek does:
   * outstanding leases are invalidated and unacked messages are redelivered.
   */
  seek(isAcked: (message: StoredMessage) => boolean, extra: StoredMessage[], now: number): void {
    for (const lease of [...this.leases.values()]) this.release(lease);
    const kept = this.entries.filter((e) => !e.dropped && (!e.acked || this.policy.retainAcked));
    const bySeq = new Map<number, Entry>(kept.map((e) => [e.message.seq, e]));
    for (const message of extra) {
      if (!bySeq.has(message.seq)) bySeq.set(message.seq, newEntry(message, true, now));
    }
    this.entries = [...bySeq.values()].sort((a, b) => a.message.seq - b.message.seq);
    this.ready = [];
    this.readyHead = 0;
    this.redeliver = [];
    this.keyed.clear();
    this.unacked = 0;
    this.settledInEntries = 0;
    for (const entry of this.entries) {
      entry.acked = isAcked(entry.message);
      entry.queued = false;
      entry.availableAt = now;
      if (entry.acked) {
        this.settledInEntries++;
        continue;
      }
      this.unacked++;
      this.enqueue(entry);
    }
    this.prune(now);
  }

  private enqueue(entry: Entry): void {
    const key = this.orderingKey(entry);
    if (key === undefined) {
      entry.queued = true;
      this.ready.push(entry);
      return;
    }
    const list = this.keyed.get(key);
    if (list === undefined) this.keyed.set(key, [entry]);
    else list.push(entry);
  }

  private lease(entry: Entry, options: TakeOptions): Lease {
    entry.attempts++;
    const lease: Lease = {
      ackId: `${this.ackPrefix}-${++this.ackCounter}`,
      message: entry.message,
      attempt: entry.attempts,
      deadline: options.now + options.ackDeadlineMs,
      holder: options.holder,
    };
    entry.lease = lease;
    this.leases.set(lease.ackId, lease);
    this.leaseEntry.set(lease, entry);
    if (lease.holder !== undefined) {
      lease.holder.outstandingMessages++;
      lease.holder.outstandingBytes += entry.message.size;
    }
    const key = this.orderingKey(entry);
    if (key !== undefined) this.keyOutstanding.set(key, (this.keyOutstanding.get(key) ?? 0) + 1);
    return lease;
  }

  private release(lease: Lease): Entry {
    const entry = this.leaseEntry.get(lease)!;
    this.leases.delete(lease.ackId);
    this.leaseEntry.delete(lease);
    entry.lease = undefined;
    if (lease.holder !== undefined) {
      lease.holder.outstandingMessages--;
      lease.holder.outstandingBytes -= entry.message.size;
    }
    const key = this.orderingKey(entry);
    if (key !== undefined) {
      const left = (this.keyOutstanding.get(key) ?? 1) - 1;
      if (left > 0) this.keyOutstanding.set(key, left);
      else this.keyOutstanding.delete(key);
    }
    return entry;
  }

  // Marks a message done (acked, dead-lettered or expired by retention).
  private settle(entry: Entry): void {
    if (entry.acked) return;
    entry.acked = true;
    this.unacked--;
    this.settledInEntries++;
    const key = this.orderingKey(entry);
    if (key === undefined) return;
    const list = this.keyed.get(key);
    if (list === undefined) return;
    const index = list.indexOf(entry);
    if (index >= 0) list.splice(index, 1);
    if (list.length === 0) this.keyed.delete(key);
  }

  private orderingKey(entry: Entry): string | undefined {
    return this.policy.ordered && entry.message.orderingKey !== ''
      ? entry.message.orderingKey
      : undefined;
  }
}

function newEntry(message: StoredMessage, acked: boolean, now: number): Entry {
  return {
    message,
    acked,
    dropped: false,
    queued: false,
    attempts: 0,
    availableAt: now,
    lease: undefined,
  };
}

function deliverable(entry: Entry): boolean {
  return !entry.acked && !entry.dropped && entry.lease === undefined;
}
