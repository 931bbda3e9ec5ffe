// A child process for the storage tests, spawned with process.execPath:
//   node test/support/store-worker.ts '<json command>'
// It opens the store named by the command's spec, says {type:'ready'},
// waits for {type:'go'} (so several workers start a race together), runs the
// command, and sends {type:'result', value} (or {type:'failed', message}).
import { createHash, randomBytes } from 'node:crypto';
import { hasCode } from '../../src/errors.ts';
import type { ObjectStore } from '../../src/storage/types.ts';
import { openStore, type StoreSpec } from './store-spec.ts';

export type WorkerCommand =
  | { op: 'race'; spec: StoreSpec; names: string[]; writers: number; tag: string }
  | {
      op: 'stream';
      spec: StoreSpec;
      name: string;
      size: number;
      chunkBytes: number;
      gcEveryBytes: number;
    }
  | { op: 'hang-mid-put'; spec: StoreSpec; name: string; size: number; chunkBytes: number };

export interface RaceOutcome {
  name: string;
  writer: string;
  outcome: 'won' | 'lost' | 'error';
  generation?: number;
  error?: string;
}

export interface StreamReport {
  writtenSha256: string;
  readSha256: string;
  readBytes: number;
  maxChunkBytes: number;
  baselineRss: number;
  peakRss: number;
}

async function race(
  store: ObjectStore,
  command: Extract<WorkerCommand, { op: 'race' }>,
): Promise<RaceOutcome[]> {
  const outcomes: RaceOutcome[] = [];
  await Promise.all(
    Array.from({ length: command.writers }, async (_, w) => {
      const writer = `${command.tag}-${w}`;
      for (const name of command.names) {
        try {
          const { generation } = await store.put(name, Buffer.from(writer), {
            ifGenerationMatch: 0,
          });
          outcomes.push({ name, writer, outcome: 'won', generation });
        } catch (error) {
          if (hasCode(error, 'PRECONDITION_FAILED'))
            outcomes.push({ name, writer, outcome: 'lost' });
          else outcomes.push({ name, writer, outcome: 'error', error: String(error) });
        }
      }
    }),
  );
  return outcomes;
}

const pattern = randomBytes(1024 * 1024);

/** A fresh buffer for chunk `index` of a streamed object: shared random bytes stamped with the index. */
export function patternChunk(index: number, bytes: number): Buffer {
  const chunk = Buffer.allocUnsafe(bytes);
  for (let at = 0; at < bytes; at += pattern.length)
    pattern.copy(chunk, at, 0, Math.min(pattern.length, bytes - at));
  if (bytes >= 8) chunk.writeDoubleLE(index, 0);
  return chunk;
}

async function stream(
  store: ObjectStore,
  command: Extract<WorkerCommand, { op: 'stream' }>,
): Promise<StreamReport> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run the stream worker with --expose-gc');
  // Warm the code paths (and their buffers) before the baseline.
  await store.put(`${command.name}.warm`, Buffer.alloc(1024));
  await (await store.get(`${command.name}.warm`)).bytes;
  gc();
  const baselineRss = process.memoryUsage().rss;
  let peakRss = baselineRss;
  let sinceGc = 0;
  const sample = (bytes: number) => {
    sinceGc += bytes;
    if (sinceGc >= command.gcEveryBytes) {
      sinceGc = 0;
      gc();
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }
  };
  const written = createHash('sha256');
  const chunks = Math.ceil(command.size / command.chunkBytes);
  await store.putStream(command.name, async function* () {
    for (let i = 0; i < chunks; i++) {
      const chunk = patternChunk(
        i,
        Math.min(command.chunkBytes, command.size - i * command.chunkBytes),
      );
      written.update(chunk);
      sample(chunk.byteLength);
      yield chunk;
    }
  });
  const read = createHash('sha256');
  let readBytes = 0;
  let maxChunkBytes = 0;
  const { stream: body } = await store.getStream(command.name);
  for await (const chunk of body) {
    read.update(chunk);
    readBytes += chunk.byteLength;
    maxChunkBytes = Math.max(maxChunkBytes, chunk.byteLength);
    sample(chunk.byteLength);
  }
  gc();
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  return {
    writtenSha256: written.digest('hex'),
    readSha256: read.digest('hex'),
    readBytes,
    maxChunkBytes,
    baselineRss,
    peakRss,
  };
}

/** Streams half an object into a put, reports, then hangs until killed. */
async function hangMidPut(
  store: ObjectStore,
  command: Extract<WorkerCommand, { op: 'hang-mid-put' }>,
): Promise<void> {
  await store.putStream(command.name, async function* () {
    const chunks = Math.ceil(command.size / command.chunkBytes);
    for (let i = 0; i < chunks; i++) {
      if (i === Math.floor(chunks / 2)) {
        process.send?.({ type: 'result', value: 'half-written' });
        await new Promise(() => {}); // wait to be killed
      }
      yield patternChunk(i, command.chunkBytes);
    }
  });
}

async function main(): Promise<void> {
  const command = JSON.parse(process.argv[2] ?? '') as WorkerCommand;
  const store = await openStore(command.spec);
  const go = new Promise<void>((resolve) =>
    process.on('message', (message: { type?: string }) => {
      if (message?.type === 'go') resolve();
    }),
  );
  process.send?.({ type: 'ready' });
  await go;
  let value: unknown;
  if (command.op === 'race') value = await race(store, command);
  else if (command.op === 'stream') value = await stream(store, command);
  else await hangMidPut(store, command);
  process.send?.({ type: 'result', value });
  await store.close();
  process.disconnect?.();
}

main().catch((error: unknown) => {
  process.send?.({
    type: 'failed',
    message: error instanceof Error ? (error.stack ?? error.message) : String(error),
  });
  process.exitCode = 1;
  process.disconnect?.();
});
