// npm run bench:store [-- --quick] [-- --only=fs|gcs|gcs+40ms]
//
// put/get/head/list rates of the object store backends — filesystem (FsStore),
// Cloud Storage on fake-gcs-server (GcsStore), and the same through the fault
// proxy adding 40 ms to every request (`gcs+40ms`, about real Cloud Storage's
// latency) — for 1 KiB and 8 MiB objects. Each rate sits beside a baseline
// measured in the same run, in slices alternating with the value's: plain
// file I/O of the same bytes with the same concurrency:
//   put  → open(wx) + write + fsync + close of a new file (as durable as a
//          store put, without the store's protocol)
//   get  → readFile of the file
//   head → stat of the file
//   list → readdir of a folder of as many files + stat of each
// An op is one call; a list op lists the whole prefix (100 × 1 KiB or 8 × 8 MiB).
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, open, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsStore, GcsStore, type ObjectStore } from '../src/storage/index.ts';
import { type FakeGcs, startFakeGcs } from '../test/support/fake-gcs.ts';
import { type FaultProxy, startFaultProxy } from '../test/support/fault-proxy.ts';
import { type BenchRow, writeReport } from './support/report.ts';

const quick = process.argv.includes('--quick');
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
/** Seconds per side (value, baseline) of each row. */
const SECONDS = quick ? 0.4 : 2.5;
const SLICES = quick ? 2 : 5;
const CONCURRENCY = 4;
const KiB = 1024;
const MiB = 1024 * KiB;

interface Shape {
  label: string;
  bytes: number;
  /** Objects listed per list op (and read in turn by get/head). */
  listed: number;
  /** Upper bound on puts per case (disk and emulator memory). */
  maxPuts: number;
}
const SHAPES: Shape[] = [
  { label: '1KiB', bytes: KiB, listed: 100, maxPuts: quick ? 2_000 : 20_000 },
  { label: '8MiB', bytes: 8 * MiB, listed: 8, maxPuts: quick ? 16 : 64 },
];
const OPS = ['put', 'get', 'head', 'list'] as const;
type Op = (typeof OPS)[number];

type OpFn = (i: number) => Promise<unknown>;

/**
 * Measures `value` and `baseline` in alternating slices (SLICES of each), so
 * both see the same machine: shared machines are noisy, and a baseline
 * measured a minute apart from its value would make the ratio noise.
 * Each side runs CONCURRENCY loops; `maxOps` bounds each side's total.
 */
async function paired(value: OpFn, baseline: OpFn, maxOps = Number.POSITIVE_INFINITY) {
  const sides = [
    { op: value, next: 0, done: 0, seconds: 0 },
    { op: baseline, next: 0, done: 0, seconds: 0 },
  ];
  for (const side of sides) for (let i = 1; i <= 3; i++) await side.op(-i); // warm-up
  for (let slice = 0; slice < SLICES; slice++) {
    for (const side of sides) {
      const started = performance.now();
      const deadline = started + (SECONDS * 1000) / SLICES;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (
            performance.now() < deadline &&
            side.next < maxOps / SLICES + slice * (maxOps / SLICES)
          ) {
            await side.op(side.next++);
            side.done++;
          }
        }),
      );
      side.seconds += (performance.now() - started) / 1000;
    }
  }
  const [v, b] = sides as [(typeof sides)[0], (typeof sides)[0]];
  return { value: v.done / v.seconds, baseline: b.done / b.seconds };
}

async function writeDurably(path: string, data: Buffer): Promise<void> {
  const handle = await open(path, 'wx');
  try {
    await handle.write(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Measures one backend for one shape: every op beside its plain-file baseline. */
async function measure(store: ObjectStore, dir: string, run: string, shape: Shape, data: Buffer) {
  const prefix = `bench/${run}/${shape.label}/`;
  const plain = join(dir, `plain-${run}-${shape.label}`);
  await mkdir(join(plain, 'listed'), { recursive: true });
  await Promise.all(
    Array.from({ length: shape.listed }, async (_, i) => {
      await store.put(`${prefix}listed/${String(i).padStart(4, '0')}`, data);
      await writeDurably(join(plain, 'listed', String(i)), data);
    }),
  );
  const listedName = (i: number) =>
    `${prefix}listed/${String(Math.abs(i) % shape.listed).padStart(4, '0')}`;
  const listedFile = (i: number) => join(plain, 'listed', String(Math.abs(i) % shape.listed));
  const results: Record<Op, { value: number; baseline: number }> = {
    put: await paired(
      (i) => store.put(`${prefix}put/${i < 0 ? `warm${-i}` : i}`, data, { ifGenerationMatch: 0 }),
      (i) => writeDurably(join(plain, `put-${i < 0 ? `warm${-i}` : i}`), data),
      shape.maxPuts,
    ),
    get: await paired(
      (i) => store.get(listedName(i)),
      (i) => readFile(listedFile(i)),
    ),
    head: await paired(
      (i) => store.head(listedName(i)),
      (i) => stat(listedFile(i)),
    ),
    list: await paired(
      async () => {
        let count = 0;
        for await (const _ of store.list({ prefix: `${prefix}listed/` })) count++;
        if (count !== shape.listed) throw new Error(`listed ${count}, expected ${shape.listed}`);
      },
      async () => {
        const names = (await readdir(join(plain, 'listed'))).sort();
        for (const name of names) await stat(join(plain, 'listed', name));
      },
    ),
  };
  await rm(plain, { recursive: true, force: true });
  return results;
}

const rows: BenchRow[] = [];
const cleanups: (() => Promise<void>)[] = [];
try {
  const dir = await mkdtemp(join(tmpdir(), 'cascade-bench-store-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const backends: { name: string; store: () => Promise<ObjectStore> }[] = [];
  if (!only || only === 'fs')
    backends.push({ name: 'fs', store: async () => new FsStore({ root: join(dir, 'fs') }) });
  let gcs: FakeGcs | undefined;
  const emulator = async () => {
    if (!gcs) {
      const started = await startFakeGcs();
      gcs = started;
      cleanups.unshift(() => started.stop());
    }
    return gcs;
  };
  if (!only || only === 'gcs') {
    backends.push({
      name: 'gcs',
      store: async () => {
        const g = await emulator();
        return new GcsStore({ bucket: await g.newBucket('bench-store'), apiEndpoint: g.endpoint });
      },
    });
  }
  if (!only || only === 'gcs+40ms') {
    backends.push({
      name: 'gcs+40ms',
      store: async () => {
        const g = await emulator();
        const proxy: FaultProxy = await startFaultProxy({ target: g.endpoint, latencyMs: 40 });
        cleanups.unshift(() => proxy.close());
        return new GcsStore({ bucket: await g.newBucket('bench-store'), apiEndpoint: proxy.url });
      },
    });
  }
  const stores = new Map<string, ObjectStore>();
  for (const backend of backends) stores.set(backend.name, await backend.store());
  for (const shape of SHAPES) {
    const data = randomBytes(shape.bytes);
    for (const [name, store] of stores) {
      const started = performance.now();
      const run = `${name.replace('+', '-')}-${Date.now().toString(36)}`;
      const measured = await measure(store, dir, run, shape, data);
      for (const op of OPS) {
        rows.push({
          case: `${name}/${op}-${shape.label}`,
          metric: 'ops_per_s',
          value: measured[op].value,
          baseline: measured[op].baseline,
          unit: 'ops/s',
        });
      }
      console.error(
        `${name} ${shape.label}: ${((performance.now() - started) / 1000).toFixed(1)} s`,
      );
    }
  }
  rows.sort((a, b) => a.case.localeCompare(b.case));
  await writeReport('store', rows);
} finally {
  for (const cleanup of cleanups) await cleanup();
}
