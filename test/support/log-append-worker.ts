// A child process for the log's multi-process tests and benchmark: appends
// a deterministic sequence of messages through a StreamWriter and prints one
// line per acknowledged message, so the parent knows exactly what was acked
// even if it kills this process with SIGKILL mid-commit. stdout lines:
//   A <messageId> <partition> <offset> <duplicate 0|1>   acknowledged
//   S <json>                                             final stats
// Run: node test/support/log-append-worker.ts '<json WorkerPlan>'
import { setTimeout as sleep } from 'node:timers/promises';
import { CascadeError } from '../../src/errors.ts';
import { type StreamSettings, StreamWriter, streamSettings } from '../../src/log/index.ts';
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
}

const plan = JSON.parse(process.argv[2] ?? '') as WorkerPlan;
const store = await openTestStore(plan.store);
const writer = new StreamWriter({ store, stream: streamSettings(plan.stream) });

let out: string[] = [];
const flush = () => {
  if (out.length > 0) process.stdout.write(out.join(''));
  out = [];
};
const flushTimer = setInterval(flush, 5);

const jobs: { worker: number; seq: number; attempt: number }[] = [];
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
async function send(job: { worker: number; seq: number; attempt: number }) {
  const message = testMessage(job.worker, job.seq, job.attempt);
  for (let attempt = 0; ; attempt++) {
    try {
      const r = await writer.append(message);
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

const started = performance.now();
let next = 0;
async function lane() {
  while (next < jobs.length) {
    const job = jobs[next++]!;
    await send(job);
    if (plan.jitterMs && Math.random() < 0.002) await sleep(Math.random() * plan.jitterMs);
  }
}
await Promise.all(Array.from({ length: plan.concurrency }, lane));
await writer.close();
const elapsedMs = performance.now() - started;
flush();
clearInterval(flushTimer);
process.stdout.write(
  `S ${JSON.stringify({ ...writer.stats(), failures, elapsedMs, sent: jobs.length })}\n`,
);
await store.close();
