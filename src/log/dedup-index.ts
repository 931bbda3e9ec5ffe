/**
 * The message ids of one partition's recent data objects, so an appender can
 * tell that a message is already in the log. Objects are remembered in the
 * order the appender learned them (offset order) and forgotten once their
 * ingest time falls out of the window. Memory is proportional to the number
 * of messages in the window.
 */
export class DedupIndex {
  readonly windowMs: number;
  #offsets = new Map<string, number>();
  #objects: { base: number; ingestMs: number; ids: readonly string[] }[] = [];
  #first = 0;

  constructor(windowMs: number) {
    this.windowMs = windowMs;
  }

  /** Remembers the ids of the data object at `base` (ids in offset order). */
  add(base: number, ids: readonly string[], ingestMs: number): void {
    this.#objects.push({ base, ingestMs, ids });
    ids.forEach((id, i) => {
      // The first copy is the one callers must be pointed at.
      if (!this.#offsets.has(id)) this.#offsets.set(id, base + i);
    });
  }

  /** The offset of the earlier copy of `id`, if it is within the window. */
  lookup(id: string): number | undefined {
    return this.#offsets.get(id);
  }

  /** Forgets objects ingested before `nowMs - windowMs`. */
  evict(nowMs: number): void {
    const cutoff = nowMs - this.windowMs;
    while (this.#first < this.#objects.length) {
      const object = this.#objects[this.#first]!;
      if (object.ingestMs >= cutoff) break;
      object.ids.forEach((id, i) => {
        if (this.#offsets.get(id) === object.base + i) this.#offsets.delete(id);
      });
      this.#first++;
    }
    if (this.#first > 1024 && this.#first * 2 > this.#objects.length) {
      this.#objects = this.#objects.slice(this.#first);
      this.#first = 0;
    }
  }

  /** Base offset of the oldest object still in the window, if any. */
  oldestBase(): number | undefined {
    return this.#objects[this.#first]?.base;
  }

  /** Number of ids remembered. */
  get size(): number {
    return this.#offsets.size;
  }
}
