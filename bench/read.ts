// npm run bench:read [-- --quick] [-- --only=fs|gcs|gcs+40ms]
//
// Reads one partition before and after compaction on each backend
// (filesystem; fake-gcs-server; fake-gcs-server behind a proxy adding 40 ms
// per request, like real Cloud Storage) and reports:
//   reads_per_lookup   store reads per random offset lookup, warm manifest
//   lookups_per_s      random offset lookups per second
//   reads_per_time_lookup, time_lookups_per_s   the same for offsetForTime
//   scan_mb_per_s      sequential read of the whole partition through the
//                      reader, in stored MB/s; baseline = streaming the same
//                      objects raw from the same backend in the same run
// Cases: <backend>/tail (before compaction) and <backend>/compacted.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Compactor } from '../src/log/compactor.ts';
import { LogReader, streamSettings } from '../src/log/index.ts';
import { readManifest } from '../src/log/manifest.ts';
import { tailFolder } from '../src/log/names.ts';
import { manifestName } from '../src/log/segment-names.ts';
import type { StreamSettings } from '../src/log/types.ts';
import type { ObjectStore } from '../src/storage/index.ts';
import { type FakeGcs, startFakeGcs } from '../test/support/fake-gcs.ts';
import { type FaultProxy, startFaultProxy } from '../test/support/fault-proxy.ts';
import { openTestStore } from '../test/support/log-stores.ts';
import { prng, writeTail } from '../test/support/segment-fixtures.ts';
import { CountingStore } from '../test/support/segment-stores.ts';
import { type BenchRow, writeReport } from './support/report.ts';

const quick = process.argv.includes('--quick');
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const RECORD_BYTES = 4096;
const PER_OBJECT = 250;
/** Tail objects written per backend (records = objects × PER_OBJECT). */
const OBJECTS = {
  fs: quick ? 12 : 200,
  gcs: quick ? 6 : 80,
  'gcs+40ms': quick ? 3 : 24,
} as const;
const LOOKUPS = { fs: quick ? 150 : 2000, gcs: quick ? 60 : 600, 'gcs+40ms': quick ? 8 : 50 };
const TIME_LOOKUPS = { fs: quick ? 20 : 300, gcs: quick ? 10 : 100, 'gcs+40ms': quick ? 3 : 15 };
type Backend = keyof typeof OBJECTS;

/** Names and sizes of the objects holding the partition now (segments, then the tail). */
async function storedObjects(store: ObjectStore, stream: StreamSettings) {
  const { manifest } = await readManifest(store, manifestName(stream, 0));
  const objects = manifest.segments.map((s) => ({ name: s.data.name, size: s.data.size }));
  for await (const info of store.list({ prefix: tailFolder(stream, 0) })) {
    const base = Number(info.name.slice(-25, -5));
    if (base >= manifest.tailStart) objects.push({ name: info.name, size: info.size });
  }
  return objects;
}

async function rawRead(store: ObjectStore, names: string[]): Promise<number> {
  let bytes = 0;
  for (const name of names) {
    const { stream } = await store.getStream(name);
    for await (const chunk of stream) bytes += chunk.byteLength;
  }
  return bytes;
}

async function measure(
  name: string,
  backend: Backend,
  store: ObjectStore,
  stream: StreamSettings,
  records: number,
  times: { first: number; last: number },
): Promise<BenchRow[]> {
  const counting = new CountingStore(store);
  const reader = new LogReader({ store: counting, stream, manifestTtlMs: 3_600_000 });
  await reader.lookup(0, 0); // warms the manifest
  const random = prng(42);

  counting.reset();
  let started = performance.now();
  for (let i = 0; i < LOOKUPS[backend]; i++) {
    const offset = Math.floor(random() * records);
    const record = await reader.lookup(0, offset);
    if (record.offset !== offset) throw new Error(`lookup ${offset} found ${record.offset}`);
  }
  const lookupSeconds = (performance.now() - started) / 1000;
  const readsPerLookup = counting.reads / LOOKUPS[backend];

  counting.reset();
  started = performance.now();
  for (let i = 0; i < TIME_LOOKUPS[backend]; i++) {
    const t = times.first + Math.floor(random() * (times.last - times.first));
    if ((await reader.offsetForTime(0, t)) === undefined) throw new Error(`no offset for ${t}`);
  }
  const timeSeconds = (performance.now() - started) / 1000;
  const readsPerTimeLookup = counting.reads / TIME_LOOKUPS[backend];

  // Alternate raw and reader scans and keep each one's best, so a noisy
  // neighbour on the shared machine does not decide the ratio.
  const objects = await storedObjects(store, stream);
  const storedBytes = objects.reduce((sum, o) => sum + o.size, 0);
  let best = { raw: 0, scan: 0 };
  for (let round = 0; round < 2; round++) {
    started = performance.now();
    const bytes = await rawRead(
      store,
      objects.map((o) => o.name),
    );
    const raw = bytes / 1e6 / ((performance.now() - started) / 1000);
    started = performance.now();
    let seen = 0;
    for await (const chunk of new LogReader({ store, stream }).readFrom(0, 0)) {
      seen += chunk.records.length;
    }
    if (seen !== records) throw new Error(`scan saw ${seen} records, not ${records}`);
    const scan = storedBytes / 1e6 / ((performance.now() - started) / 1000);
    best = { raw: Math.max(best.raw, raw), scan: Math.max(best.scan, scan) };
  }
  return [
    { case: name, metric: 'reads_per_lookup', value: readsPerLookup, unit: 'reads' },
    {
      case: name,
      metric: 'lookups_per_s',
      value: LOOKUPS[backend] / lookupSeconds,
      unit: 'lookups/s',
    },
    { case: name, metric: 'reads_per_time_lookup', value: readsPerTimeLookup, unit: 'reads' },
    {
      case: name,
      metric: 'time_lookups_per_s',
      value: TIME_LOOKUPS[backend] / timeSeconds,
      unit: 'lookups/s',
    },
    { case: name, metric: 'scan_mb_per_s', value: best.scan, baseline: best.raw, unit: 'MB/s' },
  ];
}

async function benchBackend(backend: Backend, store: ObjectStore): Promise<BenchRow[]> {
  const stream = streamSettings({
    name: `read-${backend.replace('+', '-')}-${Date.now().toString(36)}`,
    prefix: 'bench/',
    partitions: 1,
  });
  const written = await writeTail(store, stream, 0, Array(OBJECTS[backend]).fill(PER_OBJECT), {
    dataBytes: RECORD_BYTES,
    keep: true,
  });
  const records = written.length;
  const times = { first: written[0]!.publishTimeMicros, last: written.at(-1)!.publishTimeMicros };
  written.length = 0;
  const rows = await measure(`${backend}/tail`, backend, store, stream, records, times);
  const compactor = new Compactor({
    store,
    stream,
    policy: { targetSegmentBytes: 64 * 1024 * 1024, minObjectAgeMs: 0, maxTailAgeMs: 0 },
  });
  await compactor.compact(0);
  rows.push(...(await measure(`${backend}/compacted`, backend, store, stream, records, times)));
  return rows;
}

const rows: BenchRow[] = [];
const cleanups: (() => Promise<unknown>)[] = [];
try {
  if (!only || only === 'fs') {
    const root = await mkdtemp(join(tmpdir(), 'cascade-bench-read-'));
    cleanups.push(() => rm(root, { recursive: true, force: true }));
    const store = await openTestStore({ kind: 'fs', root });
    cleanups.unshift(() => store.close());
    rows.push(...(await benchBackend('fs', store)));
  }
  if (!only || only.startsWith('gcs')) {
    const gcs: FakeGcs = await startFakeGcs();
    cleanups.push(() => gcs.stop());
    const bucket = await gcs.newBucket('bench-read');
    if (!only || only === 'gcs') {
      const store = await openTestStore({ kind: 'gcs', endpoint: gcs.endpoint, bucket });
      cleanups.unshift(() => store.close());
      rows.push(...(await benchBackend('gcs', store)));
    }
    if (!only || only === 'gcs+40ms') {
      const proxy: FaultProxy = await startFaultProxy({ target: gcs.endpoint, latencyMs: 40 });
      cleanups.unshift(() => proxy.close());
      const store = await openTestStore({ kind: 'gcs', endpoint: proxy.url, bucket });
      cleanups.unshift(() => store.close());
      rows.push(...(await benchBackend('gcs+40ms', store)));
    }
  }
  await writeReport('read', rows);
} finally {
  for (const cleanup of cleanups) await cleanup();
}
