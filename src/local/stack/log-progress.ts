import type { StreamConfig } from '../../config/index.ts';
import { listTail, manifestName, readManifest, type StreamSettings } from '../../log/index.ts';
import type { ObjectStore } from '../../storage/index.ts';

/** The end offset (records so far) of each partition. */
export type PartitionEnds = number[];

/** One progress line: `p0=12 p1=9 … (21 records)`, plus the demo's count when it runs. */
export function formatProgress(
  stream: string,
  ends: PartitionEnds,
  demo?: { published: number; failed: number },
): string {
  const total = ends.reduce((sum, end) => sum + end, 0);
  const parts = ends.map((end, p) => `p${p}=${end}`).join(' ');
  const sent =
    demo === undefined
      ? ''
      : `demo published ${demo.published}${demo.failed > 0 ? ` (${demo.failed} failed)` : ''} · `;
  return `[log] ${sent}stream ${stream} offsets ${parts} (${total} records)`;
}

/**
 * Follows the end offset of every partition cheaply: each refresh lists only
 * the data objects written since the last one (plus the manifest, whose tail
 * start moves past compacted objects), not the partition's whole tail.
 */
export class EndTracker {
  #store: ObjectStore;
  #stream: StreamSettings;
  #ends: number[];

  constructor(store: ObjectStore, stream: StreamSettings) {
    this.#store = store;
    this.#stream = stream;
    this.#ends = Array.from({ length: stream.partitions }, () => 0);
  }

  /** The end offset of each partition now. */
  async refresh(): Promise<PartitionEnds> {
    for (let p = 0; p < this.#stream.partitions; p++) {
      let end = Math.max(
        this.#ends[p] ?? 0,
        (await readManifest(this.#store, manifestName(this.#stream, p))).manifest.tailStart,
      );
      for await (const object of listTail(this.#store, this.#stream, p, end)) {
        end = Math.max(end, object.meta.baseOffset + object.meta.recordCount);
      }
      this.#ends[p] = end;
    }
    return [...this.#ends];
  }
}

/**
 * Prints the stream's offsets per partition every `intervalMs` while they
 * grow, so whoever publishes sees the data land. Reads the log the way the
 * api does (manifest, then the uncompacted tail).
 */
export function watchLog(options: {
  store: ObjectStore;
  stream: StreamConfig;
  intervalMs: number;
  print: (line: string) => void;
  demo?: () => { published: number; failed: number };
}): { stop(): Promise<void> } {
  const tracker = new EndTracker(options.store, options.stream);
  let last = -1;
  let running: Promise<void> | undefined;
  const check = async (): Promise<void> => {
    const ends = await tracker.refresh();
    const total = ends.reduce((sum, end) => sum + end, 0);
    if (total === last && options.demo === undefined) return;
    last = total;
    options.print(formatProgress(options.stream.name, ends, options.demo?.()));
  };
  const timer = setInterval(() => {
    // A slow read skips a beat rather than queueing reads behind it.
    if (running !== undefined) return;
    running = check()
      .catch((error: unknown) => {
        options.print(`[log] could not read offsets: ${(error as Error).message}`);
      })
      .finally(() => {
        running = undefined;
      });
  }, options.intervalMs);
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
