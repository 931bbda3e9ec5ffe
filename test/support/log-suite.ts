// The log's multi-process integration cases, run once per backend by
// test/integration/log/*.test.ts. Each case uses its own stream name, so the
// cases can share one filesystem root or bucket.
import assert from 'node:assert/strict';
import { after, describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type StreamSettings, streamSettings } from '../../src/log/index.ts';
import type { ObjectStore } from '../../src/storage/index.ts';
import type { WorkerPlan } from './log-append-worker.ts';
import {
  type Ack,
  checkLog,
  checkWithPythonAvro,
  killAllWorkers,
  readStream,
  startWorker,
  type WorkerStats,
} from './log-harness.ts';
import { TENANT_ATTRIBUTE, testMessageId } from './log-messages.ts';
import type { TestStoreSpec } from './log-stores.ts';

/** How the suite reaches one backend. */
export interface LogBackend {
  name: string;
  /** What worker processes open. */
  spec: TestStoreSpec;
  /** A store for the test process itself. */
  store: ObjectStore;
}

/** Scales the suite's message counts (1 = the sizes). */
export interface LogSuiteOptions {
  messagesPerProcess: number;
}

function stream(name: string, partitions = 4): StreamSettings {
  return streamSettings({
    name,
    prefix: 'it/',
    partitions,
    partitionKey: { attribute: TENANT_ATTRIBUTE },
    lingerMs: 20,
  });
}

function plan(
  backend: LogBackend,
  s: StreamSettings,
  rest: Omit<WorkerPlan, 'store' | 'stream'>,
): WorkerPlan {
  const { name, prefix, partitions, partitionKey, lingerMs } = s;
  return {
    store: backend.spec,
    stream: { name, prefix, partitions, partitionKey, lingerMs },
    ...rest,
  };
}

function summarize(t: TestContext, stats: (WorkerStats | undefined)[]) {
  const known = stats.filter((s): s is WorkerStats => s !== undefined);
  const sum = (key: keyof WorkerStats) => known.reduce((total, s) => total + s[key], 0);
  const commits = sum('commits');
  t.diagnostic(
    `commits ${commits}, records ${sum('records')}, attempts/commit ${(sum('attempts') / Math.max(1, commits)).toFixed(2)}, ` +
      `records/commit ${(sum('records') / Math.max(1, commits)).toFixed(1)}, duplicates ${sum('duplicates')}, retried appends ${sum('failures')}`,
  );
}

/** Registers the log's integration cases for one backend. */
export function logSuite(getBackend: () => LogBackend, options: LogSuiteOptions): void {
  const n = options.messagesPerProcess;
  after(killAllWorkers);

  describe('log across processes', () => {
    it(`4 processes x 4 partitions x ${n} messages, some redelivered to another process`, async (t) => {
      // Prepare
      const backend = getBackend();
      const s = stream('concurrency');
      // Act: every process sends its own messages and every 7th of its neighbour's.
      const workers = [0, 1, 2, 3].map((w) =>
        startWorker(
          plan(backend, s, {
            worker: w,
            first: 0,
            count: n,
            redeliver: [{ worker: (w + 1) % 4, every: 7, first: 0, count: n }],
            concurrency: 500,
            jitterMs: 20,
          }),
        ),
      );
      const stats = await Promise.all(workers.map((w) => w.done));
      summarize(t, stats);
      // Assess
      const acks = workers.flatMap((w) => w.acks);
      assert.equal(acks.length, 4 * n + 4 * Math.ceil(n / 7));
      const partitions = await readStream(backend.store, s);
      const where = checkLog(s, partitions, acks);
      assert.equal(where.size, 4 * n, 'every message exactly once');
      for (const records of partitions) assert.ok(records.length > 0, 'every partition is used');
      assert.ok(
        acks.some((a) => a.duplicate),
        'some redeliveries were answered as duplicates',
      );
      const objects = await checkWithPythonAvro(backend.store, s, partitions);
      t.diagnostic(`python3-avro read ${objects} data objects, ${where.size} records`);
    });

    it('kill -9 mid-commit, several times: no gap, no torn object, acked messages kept', async (t) => {
      // Prepare: three survivors run throughout; victims come and go.
      const backend = getBackend();
      const s = stream('crash');
      const perSurvivor = Math.ceil(n / 4);
      const survivors = [0, 1, 2].map((w) =>
        startWorker(
          plan(backend, s, {
            worker: w,
            first: 0,
            count: perSurvivor,
            concurrency: 64,
            jitterMs: 20,
          }),
        ),
      );
      const acks: Ack[] = [];
      const victims = 4;
      const perVictim = Math.ceil(n / 4);
      // Act: each victim is killed at a random point; the next one is
      // redelivered everything its predecessor was sent (lost acks included).
      for (let v = 0; v < victims; v++) {
        const victim = startWorker(
          plan(backend, s, {
            worker: 10 + v,
            first: 0,
            count: perVictim,
            redeliver: v > 0 ? [{ worker: 9 + v, every: 1, first: 0, count: perVictim }] : [],
            concurrency: 200,
          }),
        );
        // Kill it once it is committing: after its first ack, at a random moment.
        for (let i = 0; i < 3000 && victim.acks.length === 0; i++) await sleep(10);
        await sleep(Math.random() * 300);
        victim.kill();
        await victim.done;
        acks.push(...victim.acks);
        t.diagnostic(`victim ${v} acked ${victim.acks.length} before SIGKILL`);
      }
      assert.ok(acks.length > 0, 'the victims were killed while committing');
      // Then a fresh process is sent every victim's messages again, as
      // Pub/Sub would redeliver whatever was never acknowledged.
      const last = startWorker(
        plan(backend, s, {
          worker: 20,
          first: 0,
          count: 0,
          redeliver: Array.from({ length: victims }, (_, v) => ({
            worker: 10 + v,
            every: 1,
            first: 0,
            count: perVictim,
          })),
          concurrency: 64,
        }),
      );
      const stats = await Promise.all([...survivors.map((w) => w.done), last.done]);
      summarize(t, stats);
      // Assess
      acks.push(...survivors.flatMap((w) => w.acks), ...last.acks);
      const partitions = await readStream(backend.store, s);
      const where = checkLog(s, partitions, acks, { checkOrder: false });
      for (let v = 0; v < victims; v++) {
        for (let seq = 0; seq < perVictim; seq++) {
          assert.ok(where.has(testMessageId(10 + v, seq)), 'every victim message ends up logged');
        }
      }
      assert.equal(where.size, 3 * perSurvivor + victims * perVictim);
      await checkWithPythonAvro(backend.store, s, partitions);
    });

    it('lost ack: a message redelivered to another process after its commit is logged once', async () => {
      // Prepare: process A commits 2000 messages; nobody hears its acks.
      const backend = getBackend();
      const s = stream('lost-ack', 2);
      const a = startWorker(
        plan(backend, s, { worker: 0, first: 0, count: 2000, concurrency: 100 }),
      );
      await a.done;
      // Act: process B, starting cold, is sent all of them again plus its own.
      const b = startWorker(
        plan(backend, s, {
          worker: 1,
          first: 0,
          count: 1000,
          redeliver: [{ worker: 0, every: 1, first: 0, count: 2000 }],
          concurrency: 100,
        }),
      );
      await b.done;
      // Assess: B answered every redelivery with A's offset, as a duplicate.
      const partitions = await readStream(backend.store, s);
      const where = checkLog(s, partitions, [...a.acks, ...b.acks]);
      assert.equal(where.size, 3000);
      const redelivered = b.acks.filter((ack) => ack.id.startsWith('w0-'));
      assert.equal(redelivered.length, 2000);
      assert.ok(redelivered.every((ack) => ack.duplicate));
    });
  });
}
