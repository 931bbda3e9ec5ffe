import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  JobStore,
  type JobView,
  PROVENANCE,
  ReplayService,
  StreamCatalog,
} from '../../../src/replay/index.ts';
import { FsStore } from '../../../src/storage/index.ts';
import { fillPartition, testStream } from '../../unit/replay/fixture.ts';
import { PROJECT, type PubSubHarness, pullAll, startPubSub } from '../replay/pubsub-harness.ts';

const WORKER = fileURLToPath(new URL('./tick-worker.ts', import.meta.url));
const PARTITIONS = 2;
const PER_PARTITION = 10_000;
const BATCH = 500;
const KILLS = 3;

let h: PubSubHarness;
let dir: string;
const children = new Set<ChildProcess>();

before(async () => {
  h = await startPubSub();
  dir = await mkdtemp(join(tmpdir(), 'cascade-kill-'));
});
after(async () => {
  for (const child of children) child.kill('SIGKILL');
  await h.close();
  await rm(dir, { recursive: true, force: true });
});

function startWorker(root: string): ChildProcess {
  const child = spawn(
    process.execPath,
    [
      WORKER,
      JSON.stringify({
        root,
        emulatorHost: h.emulator.host,
        project: PROJECT,
        partitions: PARTITIONS,
        batchRecords: BATCH,
        leaseMs: 1500,
        budgetMs: 2000,
      }),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.add(child);
  child.on('exit', () => children.delete(child));
  child.stdout?.resume();
  child.stderr?.resume();
  return child;
}

/** mulberry32: the kill points are random but reproducible from the printed seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

it('a scheduler killed mid-replay at random points: the job completes, nothing is missing, duplicates are only unconfirmed batches', async (t) => {
  // Prepare
  const seed = Number(process.env.CASCADE_TEST_SEED ?? Date.now() % 100_000);
  t.diagnostic(`seed ${seed}`);
  const random = prng(seed);
  const root = join(dir, 'store');
  const store = new FsStore({ root });
  const stream = testStream('orders', PARTITIONS);
  for (let p = 0; p < PARTITIONS; p++)
    await fillPartition(store, stream, p, PER_PARTITION, { perObject: 2000 });
  const catalog = new StreamCatalog({ store, streams: [stream] });
  const jobs = new JobStore({ store, prefix: stream.prefix });
  const service = new ReplayService({ catalog, jobs });
  const [topic] = await h.pubsub.createTopic('killed-replay');
  await topic.createSubscription('killed-replay-sub', { enableMessageOrdering: true });
  const job = (await service.create({
    stream: 'orders',
    topic: `projects/${PROJECT}/topics/killed-replay`,
    dryRun: false,
  })) as JobView;
  const total = PARTITIONS * PER_PARTITION;

  // Act: kill a worker at a random point after it made progress, KILLS times.
  let killed = 0;
  for (let round = 0; round < KILLS; round++) {
    const before = (await service.get(job.id)).published;
    const child = startWorker(root);
    const until = Date.now() + 60_000;
    while ((await service.get(job.id)).published <= before && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * 600)));
    if ((await service.get(job.id)).state === 'done') break;
    child.kill('SIGKILL');
    await once(child, 'exit');
    killed++;
  }
  const last = startWorker(root);
  const timer = setTimeout(() => last.kill('SIGKILL'), 240_000);
  const [code] = (await once(last, 'exit')) as [number | null];
  clearTimeout(timer);

  // Assess
  assert.equal(code, 0, 'the last worker finished the job');
  const view = await service.get(job.id);
  assert.equal(view.state, 'done');
  assert.ok(killed >= 1, 'at least one kill landed mid-replay');
  const pulled = await pullAll(h, 'killed-replay-sub', { want: total, quietMs: 500 });
  const copies = new Map<string, number>();
  for (const m of pulled) {
    assert.equal(m.attributes[PROVENANCE.replayId], job.id);
    const key = `${m.attributes[PROVENANCE.partition]}/${m.attributes[PROVENANCE.offset]}`;
    copies.set(key, (copies.get(key) ?? 0) + 1);
  }
  for (let p = 0; p < PARTITIONS; p++) {
    for (let o = 0; o < PER_PARTITION; o++) assert.ok(copies.has(`${p}/${o}`), `missing ${p}/${o}`);
  }
  assert.equal(copies.size, total);
  const duplicates = pulled.length - total;
  t.diagnostic(`kills ${killed}, duplicates ${duplicates}`);
  assert.ok(
    duplicates <= killed * BATCH,
    `${duplicates} duplicates from ${killed} kills of batches of ${BATCH}`,
  );
  assert.ok([...copies.values()].every((n) => n <= 1 + killed));
  await store.close();
});
