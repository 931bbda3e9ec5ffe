/**
 * Pulls from `source` ahead of the consumer, holding at most `maxWeight`
 * (by `weigh`) of items, so reading the next input overlaps with whatever the
 * consumer does with the current one (encoding, uploading). Errors of the
 * source surface at the consumer's next pull; stopping early stops the source.
 */
export async function* readAhead<T>(
  source: AsyncIterable<T>,
  maxWeight: number,
  weigh: (item: T) => number,
): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  const queue: T[] = [];
  let queued = 0;
  let finished = false;
  let stopped = false;
  let failure: { error: unknown } | undefined;
  let wakeConsumer: (() => void) | undefined;
  let wakeProducer: (() => void) | undefined;
  const producer = (async () => {
    try {
      for (;;) {
        while (queued >= maxWeight && !stopped) {
          await new Promise<void>((resolve) => {
            wakeProducer = resolve;
          });
        }
        if (stopped) return;
        const next = await iterator.next();
        if (next.done) return;
        queue.push(next.value);
        queued += weigh(next.value);
        wakeConsumer?.();
      }
    } catch (error) {
      failure = { error };
    } finally {
      finished = true;
      wakeConsumer?.();
    }
  })();
  try {
    for (;;) {
      const item = queue.shift();
      if (item !== undefined) {
        queued -= weigh(item);
        wakeProducer?.();
        yield item;
        continue;
      }
      if (failure) throw failure.error;
      if (finished) return;
      await new Promise<void>((resolve) => {
        wakeConsumer = resolve;
      });
      wakeConsumer = undefined;
    }
  } finally {
    stopped = true;
    wakeProducer?.();
    await producer;
    if (!finished || failure === undefined) await iterator.return?.();
  }
}
