import type { DeliveryQueue } from './delivery-queue.ts';
import type { Lease, LeaseHolder, StoredMessage, SubscriptionResource } from './types.ts';

/** Something messages are handed to: a StreamingPull stream or a push sender. */
export interface Consumer extends LeaseHolder {
  /** Messages of one ordering key per hand-out (the real service pushes one at a time). */
  readonly perKeyLimit: number;
  /** How many more messages and bytes this consumer accepts now. */
  capacity(): { messages: number; bytes: number };
  ackDeadlineMs(): number;
  deliver(leases: Lease[]): void;
  /** Stops the consumer; its leases stay valid until their deadlines. */
  close(): void;
}

/** Largest batch handed to one consumer at once, so one response stays small. */
const MAX_BATCH = 1000;

/**
 * A subscription as the emulator runs it: its resource (as the API shows it),
 * its delivery queue, and the consumers and pull waiters fed from that queue.
 * Dispatch is coalesced onto one `setImmediate` so a burst of publishes or
 * acks costs one pass over the consumers.
 */
export class EmulatedSubscription {
  resource: SubscriptionResource;
  readonly name: string;
  readonly queue: DeliveryQueue;
  readonly consumers = new Set<Consumer>();
  private readonly waiters = new Set<() => void>();
  private scheduled = false;
  private closed = false;
  private readonly now: () => number;

  constructor(resource: SubscriptionResource, queue: DeliveryQueue, now: () => number) {
    this.resource = resource;
    this.name = resource.name!;
    this.queue = queue;
    this.now = now;
  }

  /** Accepts a message published to the subscription's topic. */
  add(message: StoredMessage): void {
    this.queue.add(message, this.now());
    this.kick();
  }

  /** Schedules a dispatch pass (new messages, freed flow control, expired leases). */
  kick(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.dispatch();
    });
  }

  /** Resolves after the next kick, or after `ms` of real time, whichever is first. */
  waitForMessages(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
    });
  }

  /** Detaches every consumer and wakes every waiter; the subscription is gone. */
  close(): void {
    this.closed = true;
    for (const consumer of this.consumers) consumer.close();
    this.consumers.clear();
    for (const wake of [...this.waiters]) wake();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private dispatch(): void {
    if (this.closed) return;
    const now = this.now();
    for (const consumer of this.consumers) {
      const room = consumer.capacity();
      if (room.messages <= 0 || room.bytes <= 0) continue;
      const leases = this.queue.take({
        maxMessages: Math.min(room.messages, MAX_BATCH),
        maxBytes: room.bytes,
        ackDeadlineMs: consumer.ackDeadlineMs(),
        holder: consumer,
        perKeyLimit: consumer.perKeyLimit,
        now,
      });
      if (leases.length > 0) consumer.deliver(leases);
    }
    if (this.queue.backlog > 0) for (const wake of [...this.waiters]) wake();
  }
}
