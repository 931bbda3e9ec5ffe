// Parent side of the log's multi-process tests: starts append workers
// (test/support/log-append-worker.ts), collects their acknowledgements, kills
// them (every one, also when a test fails), and checks a stream's log.
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  type LogRecord,
  listTail,
  partitionFor,
  partitionKeyOf,
  type StreamSettings,
  TailReader,
} from '../../src/log/index.ts';
import type { ObjectStore } from '../../src/storage/index.ts';
import type { WorkerPlan } from './log-append-worker.ts';
import { parseTestMessageId, testMessage } from './log-messages.ts';

const workerScript = new URL('./log-append-worker.ts', import.meta.url).pathname;
const pythonReader = new URL('./read-avro.py', import.meta.url).pathname;
const live = new Set<ChildProcess>();
process.on('exit', killAllWorkers);

/** An acknowledgement a worker printed. */
export interface Ack {
  id: string;
  partition: number;
  offset: number;
  duplicate: boolean;
}

export interface WorkerStats {
  commits: number;
  attempts: number;
  lostRaces: number;
  records: number;
  duplicates: number;
  failures: number;
  hintWrites: number;
  elapsedMs: number;
  sent: number;
}

/** A running worker. */
export interface WorkerHandle {
  acks: Ack[];
  /** Resolves with the final stats (undefined when killed); rejects when it failed. */
  done: Promise<WorkerStats | undefined>;
  /** Stats of a "bench" worker's baseline phase, once it has printed them. */
  baseline?: { rawWrites: number; elapsedMs: number };
  /** Resolves when a worker started with `waitForGo` has said "ready" n times. */
  ready(n: number): Promise<void>;
  /** Lets a worker started with `waitForGo` begin its next phase. */
  go(): void;
  kill(): void;
}

/** Starts a worker process. Every worker is SIGKILLed by {@link killAllWorkers}. */
export function startWorker(plan: WorkerPlan, timeoutMs = 300_000): WorkerHandle {
  const child = spawn(process.execPath, [workerScript, JSON.stringify(plan)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let readyCount = 0;
  const readyWaiters: { n: number; resolve: () => void }[] = [];
  const markReady = () => {
    readyCount++;
    for (const waiter of readyWaiters.filter((w) => w.n <= readyCount)) waiter.resolve();
  };
  const handle: WorkerHandle = {
    acks: [],
    done: Promise.resolve(undefined),
    ready: (n) =>
      n <= readyCount
        ? Promise.resolve()
        : new Promise((resolve) => readyWaiters.push({ n, resolve })),
    go: () => child.stdin!.write('go\n'),
    kill: () => child.kill('SIGKILL'),
  };
  live.add(child);
  const acks = handle.acks;
  let stats: WorkerStats | undefined;
  let partial = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (line === 'R') {
        markReady();
      } else if (line.startsWith('A ')) {
        const [, id, partition, offset, dup] = line.split(' ');
        acks.push({
          id: id!,
          partition: Number(partition),
          offset: Number(offset),
          duplicate: dup === '1',
        });
      } else if (line.startsWith('B ')) {
        handle.baseline = JSON.parse(line.slice(2)) as { rawWrites: number; elapsedMs: number };
      } else if (line.startsWith('S ')) {
        stats = JSON.parse(line.slice(2)) as WorkerStats;
      }
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise<WorkerStats | undefined>((resolve, reject) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      live.delete(child);
      if (signal === 'SIGKILL') resolve(undefined);
      else if (code === 0 && stats) resolve(stats);
      else reject(new Error(`worker ${plan.worker} exited ${code ?? signal}: ${stderr}`));
    });
  });
  child.stdin!.on('error', () => {});
  handle.done = done;
  return handle;
}

/** SIGKILLs every worker still running (tests call it in `after`; also on exit). */
export function killAllWorkers(): void {
  for (const child of live) child.kill('SIGKILL');
  live.clear();
}

/** Every record of every partition, read with the project's reader, checking dense offsets. */
export async function readStream(store: ObjectStore, stream: StreamSettings) {
  const reader = new TailReader({ store, stream });
  const partitions: LogRecord[][] = [];
  for (let p = 0; p < stream.partitions; p++) {
    const records: LogRecord[] = [];
    for await (const chunk of reader.read(p, 0)) {
      for (const record of chunk.records) {
        assert.equal(record.offset, records.length, `partition ${p} offsets are dense`);
        records.push(record);
      }
    }
    partitions.push(records);
  }
  return partitions;
}

/**
 * Checks a stream written by test workers: each message id at most once in
 * the whole stream, in its key's partition, with the content its worker
 * derives; every ack points at its message's record; and, unless
 * `checkOrder` is false, per worker and ordering key the first deliveries
 * appear in publish order.
 */
export function checkLog(
  stream: StreamSettings,
  partitions: LogRecord[][],
  acks: Iterable<Ack>,
  options: { checkOrder?: boolean } = {},
): Map<string, { partition: number; offset: number }> {
  const where = new Map<string, { partition: number; offset: number }>();
  const lastByKey = new Map<string, number>();
  partitions.forEach((records, partition) => {
    for (const record of records) {
      assert.ok(!where.has(record.messageId), `${record.messageId} is in the log once`);
      where.set(record.messageId, { partition, offset: record.offset });
      const { worker, seq } = parseTestMessageId(record.messageId);
      const expected = testMessage(worker, seq, record.deliveryAttempt ?? 0);
      assert.deepEqual(comparable(record), comparable({ ...expected, offset: record.offset }));
      assert.equal(
        partitionFor(partitionKeyOf(record, stream.partitionKey.attribute), stream.partitions),
        partition,
      );
      if (
        record.orderingKey !== '' &&
        record.deliveryAttempt === 1 &&
        options.checkOrder !== false
      ) {
        const last = lastByKey.get(record.orderingKey) ?? -1;
        assert.ok(record.publishTimeMicros > last, `${record.orderingKey} keeps publish order`);
        lastByKey.set(record.orderingKey, record.publishTimeMicros);
      }
    }
  });
  for (const ack of acks) {
    const found = where.get(ack.id);
    assert.ok(found, `acknowledged ${ack.id} is in the log`);
    assert.deepEqual({ partition: ack.partition, offset: ack.offset }, found, `ack of ${ack.id}`);
  }
  return where;
}

function comparable(record: Omit<LogRecord, 'ingestTimeMicros'> & { ingestTimeMicros?: number }) {
  const { ingestTimeMicros: _ignored, ...rest } = record;
  return { ...rest, data: Buffer.from(record.data).toString('hex') };
}

/**
 * Reads every data object of the stream with Apache Avro's Python
 * implementation and checks each record equals what the project's reader saw.
 * Returns the number of objects read.
 */
export async function checkWithPythonAvro(
  store: ObjectStore,
  stream: StreamSettings,
  partitions: LogRecord[][],
): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'cascade-avro-'));
  try {
    const files: string[] = [];
    const owner = new Map<string, number>();
    for (let p = 0; p < stream.partitions; p++) {
      for await (const object of listTail(store, stream, p)) {
        const file = join(dir, `${files.length}.avro`);
        await writeFile(file, (await store.get(object.name)).bytes);
        files.push(file);
        owner.set(file, p);
      }
    }
    const seen = new Map<number, number>();
    for (let i = 0; i < files.length; i += 200) {
      const { stdout } = await promisify(execFile)(
        '/usr/bin/python3',
        [pythonReader, ...files.slice(i, i + 200)],
        {
          maxBuffer: 1 << 30,
          timeout: 120_000,
        },
      );
      for (const line of stdout.split('\n')) {
        if (line === '') continue;
        const { file, record } = JSON.parse(line) as {
          file: string;
          record: Record<string, unknown>;
        };
        const p = owner.get(file)!;
        const ours = partitions[p]![record.offset as number];
        assert.ok(ours, `python read offset ${String(record.offset)} of partition ${p}`);
        assert.deepEqual(record, {
          subscription_name: ours.subscription,
          message_id: ours.messageId,
          publish_time: ours.publishTimeMicros,
          attributes: ours.attributes,
          data: Buffer.from(ours.data).toString('hex'),
          offset: ours.offset,
          ordering_key: ours.orderingKey,
          ingest_time: ours.ingestTimeMicros,
          delivery_attempt: ours.deliveryAttempt,
        });
        seen.set(p, (seen.get(p) ?? 0) + 1);
      }
    }
    partitions.forEach((records, p) => {
      assert.equal(seen.get(p) ?? 0, records.length, `python read all of partition ${p}`);
    });
    return files.length;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
