// npm run bench:append [-- --quick] [-- --only=fs|gcs|gcs+40ms]
//
// Appends from 1, 4 and 16 OS processes to a 4-partition stream on each
// backend (filesystem; fake-gcs-server; fake-gcs-server behind a proxy that
// adds 40 ms to every request, like real Cloud Storage) and reports msgs/s,
// commits/s, messages per data object, object writes per message and create
// attempts per commit. The baseline, measured in the same run with the same
// processes and request concurrency, is one create-if-absent object per
// message on the same backend: what the log would do without group commit.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FakeGcs, startFakeGcs } from '../test/support/fake-gcs.ts';
import { type FaultProxy, startFaultProxy } from '../test/support/fault-proxy.ts';
import { killAllWorkers, startWorker, type WorkerStats } from '../test/support/log-harness.ts';
import { TENANT_ATTRIBUTE } from '../test/support/log-messages.ts';
import type { TestStoreSpec } from '../test/support/log-stores.ts';
import { type BenchRow, writeReport } from './support/report.ts';

const quick = process.argv.includes('--quick');
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const PARTITIONS = 4;
/** Appends in flight per process: a function instance's request concurrency. */
const CONCURRENCY = 1000;
/**
 * Baseline writes in flight across all processes: its best shot (more only
 * queues up in the backend), not the appenders' concurrency.
 */
const BASELINE_CONCURRENCY = 64;
const RAW_SECONDS = quick ? 1 : 2;
/** Messages per case, split over the processes. */
const TOTAL = {
  fs: quick ? 4_000 : 32_000,
  gcs: quick ? 1_000 : 6_000,
  'gcs+40ms': quick ? 1_000 : 6_000,
} as const;

type Backend = keyof typeof TOTAL;

/** Starts workers that first write one object per message, then append the same messages. */
async function benchCase(
  backend: Backend,
  spec: TestStoreSpec,
  procs: number,
): Promise<BenchRow[]> {
  const name = `${backend.replace('+', '-')}-${procs}p-${Date.now().toString(36)}`;
  const perProc = Math.ceil(TOTAL[backend] / procs);
  const workers = Array.from({ length: procs }, (_, w) =>
    startWorker(
      {
        store: spec,
        stream: {
          name,
          prefix: 'bench/',
          partitions: PARTITIONS,
          partitionKey: { attribute: TENANT_ATTRIBUTE },
        },
        worker: w,
        first: 0,
        count: perProc,
        concurrency: CONCURRENCY,
        baselineConcurrency: Math.max(4, Math.ceil(BASELINE_CONCURRENCY / procs)),
        quiet: true,
        waitForGo: true,
        mode: 'bench',
        maxDurationMs: RAW_SECONDS * 1000,
      },
      600_000,
    ),
  );
  // Baseline phase: every process writes one object per message, together.
  await Promise.all(workers.map((w) => w.ready(1)));
  for (const w of workers) w.go();
  await Promise.all(workers.map((w) => w.ready(2)));
  const raw = workers.map((w) => w.baseline!);
  const rawRate =
    raw.reduce((total, b) => total + b.rawWrites, 0) /
    (Math.max(...raw.map((b) => b.elapsedMs)) / 1000);
  // Append phase: the same messages through the log, all processes together.
  const started = performance.now();
  for (const w of workers) w.go();
  const stats = (await Promise.all(workers.map((w) => w.done))).filter(
    (s): s is WorkerStats => s !== undefined,
  );
  const seconds = (performance.now() - started) / 1000;
  const msgs = sum(stats, 'records') + sum(stats, 'duplicates');
  const commits = sum(stats, 'commits');
  const attempts = sum(stats, 'attempts');
  const writes = attempts + sum(stats, 'hintWrites');
  const label = `${backend}/${procs}proc/${PARTITIONS}part`;
  const rate = msgs / seconds;
  return [
    { case: label, metric: 'msgs_per_s', value: rate, baseline: rawRate, unit: 'msgs/s' },
    { case: label, metric: 'commits_per_s', value: commits / seconds, unit: 'commits/s' },
    { case: label, metric: 'msgs_per_object', value: msgs / commits, unit: 'msgs' },
    {
      case: label,
      metric: 'object_writes_per_msg',
      value: writes / msgs,
      baseline: 1,
      unit: 'writes/msg',
    },
    { case: label, metric: 'attempts_per_commit', value: attempts / commits, unit: 'attempts' },
  ];
}

function sum(stats: WorkerStats[], key: keyof WorkerStats): number {
  return stats.reduce((total, s) => total + s[key], 0);
}

const rows: BenchRow[] = [];
const cleanups: (() => Promise<void>)[] = [];
process.on('SIGINT', () => {
  killAllWorkers();
  process.exit(130);
});
try {
  if (!only || only === 'fs') {
    const root = await mkdtemp(join(tmpdir(), 'cascade-bench-append-'));
    cleanups.push(() => rm(root, { recursive: true, force: true }));
    for (const procs of [1, 4, 16])
      rows.push(...(await benchCase('fs', { kind: 'fs', root }, procs)));
  }
  if (!only || only.startsWith('gcs')) {
    const gcs: FakeGcs = await startFakeGcs();
    cleanups.push(() => gcs.stop());
    const bucket = await gcs.newBucket('bench-append');
    if (!only || only === 'gcs') {
      const spec: TestStoreSpec = { kind: 'gcs', endpoint: gcs.endpoint, bucket };
      for (const procs of [1, 4, 16]) rows.push(...(await benchCase('gcs', spec, procs)));
    }
    if (!only || only === 'gcs+40ms') {
      const proxy: FaultProxy = await startFaultProxy({ target: gcs.endpoint, latencyMs: 40 });
      cleanups.unshift(() => proxy.close());
      const spec: TestStoreSpec = { kind: 'gcs', endpoint: proxy.url, bucket };
      rows.push(...(await benchCase('gcs+40ms', spec, 16)));
    }
  }
  await writeReport('append', rows);
} finally {
  killAllWorkers();
  for (const cleanup of cleanups) await cleanup();
}
