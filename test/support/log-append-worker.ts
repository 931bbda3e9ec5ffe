// A child process for the log's multi-process tests and benchmark: appends
// a deterministic sequence of messages through a StreamWriter and prints one
// line per acknowledged message, so the parent knows exactly what was acked
// even if it kills this process with SIGKILL mid-commit. stdout lines:
//   R                                                    ready (with waitForGo)
//   A <messageId> <partition> <offset> <duplicate 0|1>   acknowledged
//   B <json>                                             baseline phase stats
//   S <json>                                             final stats
// Mode "bench" first writes each message as its own object for
// `maxDurationMs` (the benchmark's one-object-per-message baseline), then
// appends them all; with waitForGo each phase waits for a line on stdin.
// Run: node test/support/log-append-worker.ts '<json WorkerPlan>'
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { CascadeError } from '../../src/errors.ts';
import {
  encodeDataObject,
  type StreamSettings,
  StreamWriter,
  streamSettings,
} from '../../src/log/index.ts';
import { testMessage } from './log-messages.ts';
import { openTestStore, type TestStoreSpec } from './log-stores.ts';

/** What one worker does. */
export interface WorkerPlan {
  store: TestStoreSpec;
  stream: Partial<StreamSettings> & Pick<StreamSettings, 'name' | 'prefix' | 'partitions'>;
  worker: number;
  /** Sends its own messages first..first+count-1. */
  first: number;
  count: number;
  /** Also sends (as redeliveries) every `every`-th message of these other workers. */
  redeliver?: { worker: number; every: number; first: number; count: number }[];
  /** Appends in flight at once (a function instance's request concurrency). */
  concurrency: number;
  /** Milliseconds of random pause now and then, to interleave processes. */
  jitterMs?: number;
  /** Print only the final stats, not one line per ack (benchmarks). */
  quiet?: boolean;
  /** Print "R" once ready, then wait for a line on stdin before sending. */
  waitForGo?: boolean;
  /** "append" (default) or "bench" (baseline phase, then append phase). */
  mode?: 'append' | 'bench';
  /** Length of the baseline phase. */
  maxDurationMs?: number;
  /** Writes in flight during the baseline phase (default: concurrency). */
  baselineConcurrency?: number;
}

type Job = { worker: number; seq: number; attempt: number };

const plan = JSON.parse(process.argv[2] ?? '') as WorkerPlan;
const store = await openTestStore(plan.store);
const stream = streamSettings(plan.stream);
const writer = new StreamWriter({ store, stream });

let out: string[] = [];
const flush = () => {
  if (out.length > 0) process.stdout.write(out.join(''));
  out = [];
};
const flushTimer = setInterval(flush, 5);

const jobs: Job[] = [];
const longest = Math.max(plan.count, ...(plan.redeliver ?? []).map((r) => r.count));
for (let i = 0; i < longest; i++) {
  if (i < plan.count) jobs.push({ worker: plan.worker, seq: plan.first + i, attempt: 1 });
  for (const r of plan.redeliver ?? []) {
    const theirs = r.first + i;
    if (i < r.count && theirs % r.every === 0) {
      jobs.push({ worker: r.worker, seq: theirs, attempt: 2 });
    }
  }
}

let failures = 0;
let rawWrites = 0;
async function send(job: Job, raw: boolean) {
  const message = testMessage(job.worker, job.seq, job.attempt);
  for (let attempt = 0; ; attempt++) {
    try {
      if (raw) {
        const record = { ...message, offset: 0, ingestTimeMicros: Date.now() * 1000 };
        const { bytes } = await encodeDataObject([record], message.messageId);
        const name = `${stream.prefix}${stream.name}/raw/${message.messageId}.avro`;
        await store.put(name, bytes, { ifGenerationMatch: 0 });
        rawWrites++;
        return;
      }
      const r = await writer.append(message);
      if (plan.quiet) return;
      out.push(`A ${message.messageId} ${r.partition} ${r.offset} ${r.duplicate ? 1 : 0}\n`);
      if (out.length >= 256) flush();
      return;
    } catch (error) {
      // Pub/Sub would redeliver a retryable failure; so do we, a bit later.
      if (!(error instanceof CascadeError) || !error.retryable || attempt >= 50) throw error;
      failures++;
      await sleep(5 + Math.random() * 20);
    }
  }
}

const stdinLines = plan.waitForGo
  ? createInterface({ input: process.stdin })[Symbol.asyncIterator]()
  : undefined;
async function waitForGo() {
  if (!stdinLines) return;
  process.stdout.write('R\n');
  await stdinLines.next();
}

/** Sends jobs with `concurrency` lanes until done or past `durationMs`; returns ms taken. */
async function phase(
  raw: boolean,
  lanes: number,
  durationMs = Number.POSITIVE_INFINITY,
): Promise<number> {
  const started = performance.now();
  const deadline = started + durationMs;
  let next = 0;
  const lane = async () => {
    while (next < jobs.length && performance.now() < deadline) {
      const job = jobs[next++]!;
      await send(job, raw);
      if (plan.jitterMs && Math.random() < 0.002) await sleep(Math.random() * plan.jitterMs);
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
  return performance.now() - started;
}

if (plan.mode === 'bench') {
  await waitForGo();
  const lanes = plan.baselineConcurrency ?? plan.concurrency;
  const rawMs = await phase(true, lanes, plan.maxDurationMs ?? 2000);
  process.stdout.write(`B ${JSON.stringify({ rawWrites, elapsedMs: rawMs })}\n`);
}
await waitForGo();
const started = performance.now();
await phase(false, plan.concurrency);
await writer.close();
const elapsedMs = performance.now() - started;
flush();
clearInterval(flushTimer);
const stats = { ...writer.stats(), failures, elapsedMs, sent: jobs.length };
process.stdout.write(`S ${JSON.stringify(stats)}\n`);
process.stdin.destroy();
await store.close();
