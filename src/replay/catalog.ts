import type { StreamConfig } from '../config/index.ts';
import { CascadeError } from '../errors.ts';
import { LogReader } from '../log/index.ts';
import type { ObjectStore } from '../storage/index.ts';

/**
 * The configured streams and one cached {@link LogReader} per stream, shared
 * by the API and the replay runner of an instance (readers cache manifests).
 */
export class StreamCatalog {
  readonly store: ObjectStore;
  readonly streams: readonly StreamConfig[];
  #readers = new Map<string, LogReader>();

  constructor(options: { store: ObjectStore; streams: readonly StreamConfig[] }) {
    this.store = options.store;
    this.streams = options.streams;
  }

  /** The stream's configuration; NOT_FOUND naming the known streams otherwise. */
  stream(name: string): StreamConfig {
    const stream = this.streams.find((s) => s.name === name);
    if (!stream) {
      throw new CascadeError('NOT_FOUND', `no stream named ${JSON.stringify(name)}`, {
        retryable: false,
        details: { stream: name, streams: this.streams.map((s) => s.name) },
      });
    }
    return stream;
  }

  /** NOT_FOUND unless `partition` is one of the stream's. */
  checkPartition(stream: StreamConfig, partition: number): void {
    if (!Number.isInteger(partition) || partition < 0 || partition >= stream.partitions) {
      throw new CascadeError(
        'NOT_FOUND',
        `stream ${stream.name} has partitions 0..${stream.partitions - 1}, not ${partition}`,
        {
          retryable: false,
          details: { stream: stream.name, partition, partitions: stream.partitions },
        },
      );
    }
  }

  reader(name: string): LogReader {
    let reader = this.#readers.get(name);
    if (!reader) {
      reader = new LogReader({ store: this.store, stream: this.stream(name) });
      this.#readers.set(name, reader);
    }
    return reader;
  }
}
