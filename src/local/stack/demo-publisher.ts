import type { PubSub } from '@google-cloud/pubsub';

/** One synthetic message: an order event for one of a few customers. */
export interface DemoMessage {
  data: Buffer;
  orderingKey: string;
  attributes: Record<string, string>;
}

const CUSTOMERS = 8;

/**
 * The `seq`-th demo message. Deterministic, so what lands in the log can be
 * compared with what was sent; the customer is the ordering key (so each
 * customer's events stay in order in one partition) and an attribute.
 */
export function demoMessage(seq: number, now: Date): DemoMessage {
  const customer = `customer-${seq % CUSTOMERS}`;
  const event = {
    seq,
    customer,
    type: seq % 5 === 0 ? 'order.cancelled' : 'order.created',
    amountCents: ((seq * 7919) % 10_000) + 100,
    at: now.toISOString(),
  };
  return {
    data: Buffer.from(JSON.stringify(event)),
    orderingKey: customer,
    attributes: { source: 'cascade-demo', customer, type: event.type, seq: String(seq) },
  };
}

/** A running demo stream. */
export interface DemoPublisher {
  /** Messages the service confirmed (got an id). */
  published(): number;
  failed(): number;
  /** Stops publishing and waits for the messages in flight. */
  stop(): Promise<void>;
}

// Unconfirmed messages beyond which the demo waits rather than piling up.
const MAX_IN_FLIGHT = 1000;
const TICK_MS = 100;

/**
 * Publishes `rate` messages a second through the official client until
 * stopped. A failed publish on an ordering key pauses that key in the client;
 * the demo resumes it and carries on, counting the failure.
 */
export function startDemoPublisher(options: {
  pubsub: PubSub;
  topic: string;
  rate: number;
  onError: (message: string) => void;
}): DemoPublisher {
  const topic = options.pubsub.topic(options.topic, {
    messageOrdering: true,
    batching: { maxMessages: 500, maxMilliseconds: 20 },
  });
  let sent = 0;
  let published = 0;
  let failed = 0;
  let lastError = '';
  const inFlight = new Set<Promise<void>>();
  const started = Date.now();
  const timer = setInterval(() => {
    // After a stall, catch up at no more than twice the rate rather than in one burst.
    const due = Math.min(
      Math.floor(((Date.now() - started) * options.rate) / 1000) - sent,
      Math.ceil((options.rate * TICK_MS * 2) / 1000),
    );
    for (let i = 0; i < due && inFlight.size < MAX_IN_FLIGHT; i++) {
      const message = demoMessage(sent++, new Date());
      const done: Promise<void> = topic
        .publishMessage(message)
        .then(() => {
          published++;
        })
        .catch((error: unknown) => {
          failed++;
          topic.resumePublishing(message.orderingKey);
          const text = (error as Error).message;
          // One line per distinct problem, not one per message.
          if (text !== lastError) options.onError(`demo publish failed: ${text}`);
          lastError = text;
        })
        .finally(() => inFlight.delete(done));
      inFlight.add(done);
    }
  }, TICK_MS);
  return {
    published: () => published,
    failed: () => failed,
    async stop() {
      clearInterval(timer);
      await Promise.allSettled([...inFlight]);
    },
  };
}
