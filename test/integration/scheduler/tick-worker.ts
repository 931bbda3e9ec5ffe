// A scheduler process for the kill tests: runs ticks against a filesystem
// store and the emulator until the replay jobs are finished, printing one
// line per tick. The parent kills it with SIGKILL at random points.
import { PubSub } from '@google-cloud/pubsub';
import {
  isFinished,
  JobStore,
  pubsubPublisher,
  ReplayRunner,
  StreamCatalog,
} from '../../../src/replay/index.ts';
import { runTick } from '../../../src/scheduler/index.ts';
import { FsStore } from '../../../src/storage/index.ts';
import { testStream } from '../../unit/replay/fixture.ts';

const args = JSON.parse(process.argv[2] ?? '{}') as {
  root: string;
  emulatorHost: string;
  project: string;
  partitions: number;
  batchRecords: number;
  leaseMs: number;
  budgetMs: number;
};
const store = new FsStore({ root: args.root });
const stream = testStream('orders', args.partitions);
const jobs = new JobStore({ store, prefix: stream.prefix });
const pubsub = new PubSub({
  projectId: args.project,
  apiEndpoint: args.emulatorHost,
  emulatorMode: true,
});
const publisher = pubsubPublisher(pubsub);
const catalog = new StreamCatalog({ store, streams: [stream] });
const runner = new ReplayRunner({
  catalog,
  jobs,
  publisher,
  tuning: { batchRecords: args.batchRecords, leaseMs: args.leaseMs },
});
// Bounded: a worker that cannot finish in 500 ticks is a failure the parent reports.
for (let tick = 0; tick < 500; tick++) {
  const result = await runTick(
    { store, streams: [stream], jobs, runner },
    { budgetMs: args.budgetMs },
  );
  process.stdout.write(
    `${JSON.stringify({ tick, published: result.replays.map((r) => r.published) })}\n`,
  );
  const all = await jobs.list();
  if (all.every(({ job }) => isFinished(job))) break;
  // Another holder's lease: wait a little rather than spin.
  if (result.replays.length === 0) await new Promise((resolve) => setTimeout(resolve, 100));
}
await publisher.close();
await pubsub.close();
await store.close();
