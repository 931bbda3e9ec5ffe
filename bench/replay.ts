// npm run bench:replay [-- --quick] [-- --only=fs|gcs]
//
// One partition of small records on each backend (filesystem; fake-gcs-server)
// and, in the same run:
//   msgs_per_s     (case <backend>/replay)        a replay job's slice publishing
//                  the whole partition into a topic of the local Pub/Sub
//                  emulator through the official client, checkpoint per batch;
//   records_per_s  (cases <backend>/read-json, <backend>/read-ndjson)  the read
//                  API over HTTP on 127.0.0.1: JSON pages of 1000 following
//                  nextOffset, and one NDJSON stream;
// each with baseline = reading the same range directly with the LogReader,
// measured right before it.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PubSub } from '@google-cloud/pubsub';
import { createApi, nodeHandler } from '../src/api/index.ts';
import { startPubSubEmulator } from '../src/local/pubsub-emulator/index.ts';
import {
  JobStore,
  type JobView,
  pubsubPublisher,
  ReplayRunner,
  ReplayService,
  StreamCatalog,
} from '../src/replay/index.ts';
import { FsStore, GcsStore, type ObjectStore } from '../src/storage/index.ts';
import { startFakeGcs } from '../test/support/fake-gcs.ts';
import { fillPartition, testStream } from '../test/unit/replay/fixture.ts';
import { type BenchRow, writeReport } from './support/report.ts';

const quick = process.argv.includes('--quick');
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const RECORDS = { fs: quick ? 20_000 : 100_000, gcs: quick ? 5_000 : 20_000 } as const;
const PROJECT = 'cascade-bench';

const rows: BenchRow[] = [];
const emulator = await startPubSubEmulator({ host: '127.0.0.1' });
const pubsub = new PubSub({ projectId: PROJECT, apiEndpoint: emulator.host, emulatorMode: true });
const dir = await mkdtemp(join(tmpdir(), 'cascade-bench-replay-'));
const gcs = only === 'fs' ? undefined : await startFakeGcs();
let topics = 0;

/** Records per second reading [0, n) of partition 0 straight from the reader. */
async function readerRate(catalog: StreamCatalog, n: number): Promise<number> {
  const reader = catalog.reader('orders');
  reader.invalidate();
  const started = performance.now();
  let count = 0;
  for await (const chunk of reader.readFrom(0, 0, { maxRecords: n })) count += chunk.records.length;
  if (count !== n) throw new Error(`reader returned ${count} of ${n}`);
  return (count / (performance.now() - started)) * 1000;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('no address');
  return `http://127.0.0.1:${address.port}`;
}

async function run(backend: 'fs' | 'gcs', store: ObjectStore): Promise<void> {
  const n = RECORDS[backend];
  const stream = testStream('orders', 1);
  await fillPartition(store, stream, 0, n, { perObject: 5000 });
  const catalog = new StreamCatalog({ store, streams: [stream] });
  const jobs = new JobStore({ store, prefix: stream.prefix });
  const service = new ReplayService({ catalog, jobs });

  // Replay into the emulator.
  const baselineReplay = await readerRate(catalog, n);
  const topicId = `bench-${++topics}`;
  await pubsub.createTopic(topicId);
  const publisher = pubsubPublisher(pubsub);
  const job = (await service.create({
    stream: 'orders',
    topic: `projects/${PROJECT}/topics/${topicId}`,
    dryRun: false,
  })) as JobView;
  const runner = new ReplayRunner({ catalog, jobs, publisher, tuning: { batchRecords: 1000 } });
  let started = performance.now();
  const slice = await runner.runSlice(job.id, { deadline: Date.now() + 600_000 });
  const replayRate = (slice.published / (performance.now() - started)) * 1000;
  if (slice.state !== 'done' || slice.published !== n)
    throw new Error(`replay ended ${slice.state}`);
  await publisher.close();
  rows.push({
    case: `${backend}/replay`,
    metric: 'msgs_per_s',
    value: replayRate,
    baseline: baselineReplay,
    unit: 'msgs/s',
  });

  // The read API over HTTP.
  const router = createApi({ catalog, replays: service, subscriptions: [], clock: Date.now });
  const server = createServer(nodeHandler(router));
  const base = await listen(server);
  const path = `${base}/v1/streams/orders/partitions/0/records`;

  const baselineJson = await readerRate(catalog, n);
  started = performance.now();
  let offset = 0;
  let count = 0;
  while (offset < n) {
    const response = await fetch(`${path}?offset=${offset}&limit=1000`);
    const page = (await response.json()) as { records: unknown[]; nextOffset: number };
    count += page.records.length;
    offset = page.nextOffset;
  }
  rows.push({
    case: `${backend}/read-json`,
    metric: 'records_per_s',
    value: (count / (performance.now() - started)) * 1000,
    baseline: baselineJson,
    unit: 'records/s',
  });

  const baselineNdjson = await readerRate(catalog, n);
  started = performance.now();
  const response = await fetch(`${path}?offset=0&limit=${n}`, {
    headers: { accept: 'application/x-ndjson' },
  });
  let lines = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    for (const byte of chunk) if (byte === 10) lines++;
  }
  if (lines !== n) throw new Error(`NDJSON gave ${lines} of ${n} lines`);
  rows.push({
    case: `${backend}/read-ndjson`,
    metric: 'records_per_s',
    value: (lines / (performance.now() - started)) * 1000,
    baseline: baselineNdjson,
    unit: 'records/s',
  });
  await new Promise((resolve) => server.close(resolve));
}

try {
  if (only === undefined || only === 'fs') {
    const store = new FsStore({ root: join(dir, 'fs') });
    await run('fs', store);
    await store.close();
  }
  if (gcs) {
    const store = new GcsStore({
      bucket: await gcs.newBucket('bench-replay'),
      apiEndpoint: gcs.endpoint,
    });
    await run('gcs', store);
    await store.close();
  }
  await writeReport('replay', rows);
} finally {
  await pubsub.close();
  await emulator.stop();
  await gcs?.stop();
  await rm(dir, { recursive: true, force: true });
}
