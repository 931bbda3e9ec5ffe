// The segments' integration cases, run once per backend by
// test/integration/segments/*.test.ts. Each case uses its own stream name.
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { hasCode } from '../../src/errors.ts';
import { type CompactionPolicy, Compactor } from '../../src/log/compactor.ts';
import { streamSettings, TailReader } from '../../src/log/index.ts';
import { LogReader } from '../../src/log/log-reader.ts';
import { readManifest } from '../../src/log/manifest.ts';
import { tailFolder } from '../../src/log/names.ts';
import { manifestName } from '../../src/log/segment-names.ts';
import type { LogRecord, StreamSettings } from '../../src/log/types.ts';
import type { ObjectStore } from '../../src/storage/index.ts';
import { checkLog, killAllWorkers, startWorker } from './log-harness.ts';
import { TENANT_ATTRIBUTE } from './log-messages.ts';
import type { TestStoreSpec } from './log-stores.ts';
import type { CompactWorkerPlan } from './segment-compact-worker.ts';
import { comparable, prng, writeTail } from './segment-fixtures.ts';
import type { ScanWorkerPlan } from './segment-scan-worker.ts';
import { CountingStore } from './segment-stores.ts';

export interface SegmentBackend {
  name: string;
  spec: TestStoreSpec;
  store: ObjectStore;
}

export interface SegmentSuiteOptions {
  /** Bytes of records the big-scan case reads in a child process (0 = skip the case). */
  bigScanBytes: number;
  /** When the compactor process is killed after it starts, one round each. */
  killDelaysMs: number[];
  /** Messages each of the three appender processes sends in the race case. */
  raceMessages: number;
}

const compactWorker = new URL('./segment-compact-worker.ts', import.meta.url).pathname;
const scanWorker = new URL('./segment-scan-worker.ts', import.meta.url).pathname;
const pythonReader = new URL('./read-avro.py', import.meta.url).pathname;
const children = new Set<ChildProcess>();

function killChildren(): void {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
}

/** Runs a child node process; resolves with its stdout lines, or undefined when killed. */
function runChild(
  script: string,
  arg: unknown,
  options: { execArgv?: string[]; timeoutMs?: number; onLine?: (line: string) => void } = {},
): { done: Promise<string[] | undefined>; kill: () => void } {
  const child = spawn(
    process.execPath,
    [...(options.execArgv ?? []), script, JSON.stringify(arg)],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.add(child);
  const lines: string[] = [];
  let partial = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      options.onLine?.(line);
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 240_000);
  const done = new Promise<string[] | undefined>((resolve, reject) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      if (signal === 'SIGKILL') resolve(undefined);
      else if (code === 0) resolve(lines);
      else reject(new Error(`${script} exited ${code ?? signal}: ${stderr}`));
    });
  });
  return { done, kill: () => child.kill('SIGKILL') };
}

function testPolicy(overrides: Partial<CompactionPolicy> = {}): Partial<CompactionPolicy> {
  return {
    targetSegmentBytes: 64 * 1024,
    minObjectAgeMs: 0,
    maxTailAgeMs: 0,
    graceMs: 0,
    ...overrides,
  };
}

async function readAll(reader: LogReader, partition: number, from = 0): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  for await (const chunk of reader.readFrom(partition, from)) out.push(...chunk.records);
  return out;
}

async function tailNames(store: ObjectStore, stream: StreamSettings, p: number) {
  const out: string[] = [];
  for await (const info of store.list({ prefix: tailFolder(stream, p) })) out.push(info.name);
  return out;
}

/** Reads objects with Apache Avro's Python implementation; records by offset. */
async function pythonRecords(store: ObjectStore, names: string[]) {
  const dir = await mkdtemp(join(tmpdir(), 'cascade-seg-avro-'));
  try {
    const files: string[] = [];
    for (const [i, name] of names.entries()) {
      const file = join(dir, `${i}.avro`);
      await writeFile(file, (await store.get(name)).bytes);
      files.push(file);
    }
    const { stdout } = await promisify(execFile)('/usr/bin/python3', [pythonReader, ...files], {
      maxBuffer: 1 << 28,
      timeout: 120_000,
    });
    return stdout
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => (JSON.parse(line) as { record: Record<string, unknown> }).record);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Registers the segments' integration cases for one backend. */
export function segmentSuite(getBackend: () => SegmentBackend, options: SegmentSuiteOptions) {
  after(() => {
    killChildren();
    killAllWorkers();
  });
  const P = 0;

  describe('segments', () => {
    for (const codec of ['null', 'deflate'] as const) {
      it(`codec ${codec}: compacted reads agree with tail reads; two reads per lookup; Python Avro reads the segments`, async () => {
        // Prepare
        const { store } = getBackend();
        const stream = streamSettings({ name: `agree-${codec}`, prefix: 'seg/', partitions: 1 });
        const counts = Array.from({ length: 60 }, (_, i) => 1 + ((i * 13) % 37));
        const records = await writeTail(store, stream, P, counts, { seed: 21 });
        const random = prng(8);
        const offsets = Array.from({ length: 40 }, () => Math.floor(random() * records.length));
        const first = records[0]!.publishTimeMicros;
        const span = records.at(-1)!.publishTimeMicros - first;
        const times = Array.from(
          { length: 30 },
          () => first - 10 + Math.floor(random() * (span + 20)),
        );
        const tail = new TailReader({ store, stream });
        const fromTail = new Map<number, unknown>();
        for (const o of offsets) {
          for await (const chunk of tail.read(P, o, { maxRecords: 1 })) {
            fromTail.set(o, comparable(chunk.records[0]!));
          }
        }
        const tailTimes = new LogReader({ store, stream });
        const expectedTimes = [];
        for (const t of times) expectedTimes.push(await tailTimes.offsetForTime(P, t));

        // Act
        const result = await new Compactor({
          store,
          stream,
          policy: testPolicy({
            targetSegmentBytes: 40_000,
            format: { codec, blockBytes: 4096, timeIndexInterval: 16 },
          }),
        }).compact(P);
        const counting = new CountingStore(store);
        const reader = new LogReader({ store: counting, stream, scan: { bytesPerRead: 16_384 } });

        // Assess
        assert.ok(result.created.length >= 3, `${result.created.length} segments`);
        await reader.lookup(P, 0);
        for (const o of offsets) {
          counting.reset();
          assert.deepEqual(comparable(await reader.lookup(P, o)), fromTail.get(o), `offset ${o}`);
          if (o < result.tailStart) assert.equal(counting.reads, 2, counting.names.join(', '));
        }
        for (const [i, t] of times.entries()) {
          assert.equal(await reader.offsetForTime(P, t), expectedTimes[i], `time ${t}`);
          const brute = records.find((r) => r.publishTimeMicros >= t)?.offset;
          assert.equal(expectedTimes[i], brute);
        }
        assert.deepEqual((await readAll(reader, P)).map(comparable), records.map(comparable));
        const segments = result.created.map((s) => s.data.name);
        const python = await pythonRecords(store, segments);
        assert.equal(python.length, result.tailStart);
        python.forEach((r, i) => {
          const expected = records[i]!;
          assert.equal(r.offset, expected.offset);
          assert.equal(r.message_id, expected.messageId);
          assert.equal(r.publish_time, expected.publishTimeMicros);
          assert.equal(r.data, Buffer.from(expected.data).toString('hex'));
          assert.deepEqual(r.attributes, expected.attributes);
        });
      });
    }

    it('two compactor processes race while three appender processes append', async (t) => {
      // Prepare
      const backend = getBackend();
      const stream = streamSettings({
        name: 'race',
        prefix: 'seg/',
        partitions: 2,
        partitionKey: { attribute: TENANT_ATTRIBUTE },
        lingerMs: 10,
      });
      const streamPlan = {
        name: stream.name,
        prefix: stream.prefix,
        partitions: 2,
        partitionKey: stream.partitionKey,
        lingerMs: 10,
      };
      const appenders = [0, 1, 2].map((worker) =>
        startWorker({
          store: backend.spec,
          stream: streamPlan,
          worker,
          first: 0,
          count: options.raceMessages,
          concurrency: 16,
          jitterMs: 5,
        }),
      );
      const compactPlan: CompactWorkerPlan = {
        store: backend.spec,
        stream: streamPlan,
        partitions: [0, 1],
        policy: testPolicy({ targetSegmentBytes: 16 * 1024, minObjectAgeMs: 300, graceMs: 4000 }),
        loops: 1000,
        pauseMs: 150,
      };
      // Act
      const compactors = [0, 1].map(() => runChild(compactWorker, compactPlan));
      await Promise.all(appenders.map((a) => a.done));
      for (const c of compactors) c.kill();
      const runs = await Promise.all(compactors.map((c) => c.done.catch((e: unknown) => e)));
      const final = new Compactor({
        store: backend.store,
        stream,
        policy: testPolicy({ targetSegmentBytes: 16 * 1024 }),
      });
      await sleep(4100);
      for (let round = 0; round < 2; round++) for (const p of [0, 1]) await final.compact(p);

      // Assess
      for (const run of runs) assert.ok(!(run instanceof Error), String(run));
      const reader = new LogReader({ store: backend.store, stream });
      const partitions: LogRecord[][] = [];
      let segments = 0;
      for (const p of [0, 1]) {
        const records = await readAll(reader, p);
        records.forEach((r, i) => {
          assert.equal(r.offset, i, `partition ${p} is dense`);
        });
        partitions.push(records);
        const { manifest } = await readManifest(backend.store, manifestName(stream, p));
        segments += manifest.segments.length;
        assert.deepEqual(manifest.pendingDeletions, []);
        assert.equal(
          (await tailNames(backend.store, stream, p)).length,
          1,
          'only the newest tail object is left',
        );
      }
      const acks = appenders.flatMap((a) => a.acks);
      assert.equal(acks.length, 3 * options.raceMessages);
      checkLog(stream, partitions, acks);
      assert.ok(segments >= 4, `${segments} segments`);
      t.diagnostic(
        `${segments} segments, ${partitions[0]!.length}+${partitions[1]!.length} records`,
      );
    });

    it('a compactor process killed with SIGKILL at any point leaves every record readable', async () => {
      const { store, spec } = getBackend();
      for (const [round, delayMs] of options.killDelaysMs.entries()) {
        // Prepare
        const stream = streamSettings({ name: `kill-${round}`, prefix: 'seg/', partitions: 1 });
        const records = await writeTail(store, stream, P, Array(40).fill(25), {
          seed: round,
          dataBytes: 3000,
        });
        const plan: CompactWorkerPlan = {
          store: spec,
          stream: { name: stream.name, prefix: stream.prefix, partitions: 1 },
          partitions: [P],
          policy: testPolicy({ targetSegmentBytes: 200_000 }),
          loops: 3,
          pauseMs: 0,
        };

        // Act
        let started: () => void = () => {};
        const ready = new Promise<void>((resolve) => {
          started = resolve;
        });
        const child = runChild(compactWorker, plan, { onLine: (l) => l === 'B' && started() });
        await Promise.race([ready, child.done]);
        await sleep(delayMs);
        child.kill();
        const lines = await child.done;
        const midway = await readAll(new LogReader({ store, stream }), P);
        const compactor = new Compactor({
          store,
          stream,
          policy: testPolicy({ targetSegmentBytes: 200_000 }),
        });
        await compactor.compact(P);
        await compactor.compact(P);

        // Assess
        assert.deepEqual(midway.map(comparable), records.map(comparable), `round ${round} midway`);
        const after = await readAll(new LogReader({ store, stream }), P);
        assert.deepEqual(
          after.map(comparable),
          records.map(comparable),
          `round ${round} (${lines === undefined ? 'killed' : 'finished'})`,
        );
        const { manifest } = await readManifest(store, manifestName(stream, P));
        assert.equal(manifest.tailStart, records.length - 25);
        assert.deepEqual(manifest.pendingDeletions, []);
        assert.equal((await tailNames(store, stream, P)).length, 1);
      }
    });

    it('corrupt or truncated segments and indexes give typed errors, never wrong records', async () => {
      // Prepare
      const { store } = getBackend();
      const stream = streamSettings({ name: 'corrupt', prefix: 'seg/', partitions: 1 });
      await writeTail(store, stream, P, Array(20).fill(30), { seed: 5, dataBytes: 200 });
      const result = await new Compactor({
        store,
        stream,
        policy: testPolicy({ targetSegmentBytes: 1 << 30 }),
      }).compact(P);
      const segment = result.created[0]!;
      const original = {
        data: (await store.get(segment.data.name)).bytes,
        index: (await store.get(segment.offsetIndex.name)).bytes,
      };
      const expectCorrupt = async (what: string, offset: number) => {
        const reader = new LogReader({ store, stream });
        const lookup = await reader.lookup(P, offset).catch((e: unknown) => e);
        assert.ok(hasCode(lookup, 'CORRUPT_DATA'), `${what}: lookup gave ${String(lookup)}`);
        const scan = await readAll(reader, P, offset).catch((e: unknown) => e);
        assert.ok(hasCode(scan, 'CORRUPT_DATA'), `${what}: scan gave ${String(scan)}`);
      };

      // Act + Assess
      await store.put(
        segment.data.name,
        original.data.subarray(0, Math.floor(original.data.byteLength / 2)),
      );
      await expectCorrupt('truncated segment', segment.end - 1);
      const flipped = Buffer.from(original.data);
      const mid = Math.floor(flipped.byteLength * 0.75);
      for (let i = mid; i < mid + 8; i++) flipped[i] = flipped[i]! ^ 0xff;
      await store.put(segment.data.name, flipped);
      const reader = new LogReader({ store, stream });
      for (let o = segment.base; o < segment.end; o += 3) {
        const got = await reader.lookup(P, o).catch((e: unknown) => e);
        if (got instanceof Error) assert.ok(hasCode(got, 'CORRUPT_DATA'), String(got));
        else assert.equal((got as LogRecord).offset, o);
      }
      await store.put(segment.data.name, original.data);
      await store.put(segment.offsetIndex.name, original.index.subarray(0, 24 * 100 + 7));
      await expectCorrupt('truncated index', segment.base + 200);
      const badEntry = Buffer.from(original.index);
      badEntry[24 * 150 + 2] = badEntry[24 * 150 + 2]! ^ 0x01;
      await store.put(segment.offsetIndex.name, badEntry);
      await expectCorrupt('flipped index bit', segment.base + 150);
      // An index whose entries are internally valid but belong to the next record.
      const shifted = Buffer.concat([original.index.subarray(24), original.index.subarray(0, 24)]);
      await store.put(segment.offsetIndex.name, shifted);
      await expectCorrupt('shifted index', segment.base + 10);
      await store.put(segment.offsetIndex.name, original.index);
      assert.equal(
        (await new LogReader({ store, stream }).lookup(P, segment.base + 10)).offset,
        segment.base + 10,
      );
    });

    if (options.bigScanBytes > 0) {
      it(`reads ${options.bigScanBytes >> 20} MiB through the reader in a child with a 64 MiB heap`, async (t) => {
        // Prepare
        const { store, spec } = getBackend();
        const stream = streamSettings({ name: 'big', prefix: 'seg/', partitions: 1 });
        const recordBytes = 1024 * 1024;
        const perObject = 8;
        const objects = Math.ceil(options.bigScanBytes / (recordBytes * perObject));
        await writeTail(store, stream, P, Array(objects).fill(perObject), {
          seed: 1,
          dataBytes: recordBytes,
        });
        const compactLines = await runChild(
          compactWorker,
          {
            store: spec,
            stream: { name: stream.name, prefix: stream.prefix, partitions: 1 },
            partitions: [P],
            policy: testPolicy({ targetSegmentBytes: 256 * 1024 * 1024 }),
            loops: 1,
            pauseMs: 0,
          } satisfies CompactWorkerPlan,
          { execArgv: ['--max-old-space-size=64'] },
        ).done;

        // Act
        const plan: ScanWorkerPlan = {
          store: spec,
          stream: { name: stream.name, prefix: stream.prefix, partitions: 1 },
          partition: P,
          from: 0,
        };
        const started = performance.now();
        const lines = await runChild(scanWorker, plan, { execArgv: ['--max-old-space-size=64'] })
          .done;
        const seconds = (performance.now() - started) / 1000;

        // Assess
        assert.ok(
          compactLines?.some((l) => l.startsWith('R ')),
          'compaction ran',
        );
        const summary = JSON.parse(lines!.find((l) => l.startsWith('S '))!.slice(2)) as {
          records: number;
          bytes: number;
          maxRssBytes: number;
          heapUsedBytes: number;
        };
        assert.equal(summary.records, objects * perObject);
        assert.equal(summary.bytes, objects * perObject * recordBytes);
        assert.ok(
          summary.maxRssBytes < 400 * 1024 * 1024,
          `peak RSS ${summary.maxRssBytes >> 20} MiB`,
        );
        t.diagnostic(
          `${summary.bytes >> 20} MiB in ${seconds.toFixed(1)} s, peak RSS ${summary.maxRssBytes >> 20} MiB, heap ${summary.heapUsedBytes >> 20} MiB`,
        );
      });
    }
  });
}
