// `npm run bench:ingest`: push throughput and ack latency of the `ingest`
// function (one message per request, as Pub/Sub pushes), against a no-op
// functions-framework handler measured in the same run on the same machine
// (the ceiling for one-message-per-request push). Each case runs one real
// functions-framework process; the load comes from autocannon in a separate
// process. Backends: the filesystem, and fake-gcs-server (gcs).
//
// Output: a table on stdout and bench/results/ingest.json in the shape of
// shared/BENCHMARKS.md (metrics msgs_per_s, p50_ms, p99_ms, msgs_per_object,
// data_objects_per_msg; cases <backend>/<N>conn, and noop/<case> for the
// baseline measured right before each case).
//
// Flags: --quick (200 connections only, short runs); --duration=<s>.
// Cases: <backend>/<N>conn use the default stream settings (1 partition);
// <backend>/200conn/4part shows the effect of partitions on batch size.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, type StreamConfig } from '../src/config/index.ts';
import { listTail } from '../src/log/index.ts';
import { FsStore, GcsStore, type ObjectStore } from '../src/storage/index.ts';
import {
  type FunctionProcess,
  startFunction,
} from '../test/integration/ingest/function-process.ts';
import { type FakeGcs, startFakeGcs } from '../test/support/fake-gcs.ts';
import { type BenchRow, writeReport } from './support/report.ts';

const SUB = 'projects/bench/subscriptions/push';
/** The benchmark stream: default batching, 1 partition unless a case says otherwise. */
function streamDocument(partitions: number) {
  return { streams: [{ name: 'bench', subscription: SUB, partitions, lingerMs: 20 }] };
}
function streamOf(partitions: number): StreamConfig {
  const env = {
    CASCADE_PUSH_AUTH: 'off',
    CASCADE_STREAMS: JSON.stringify(streamDocument(partitions)),
  };
  return loadConfig(env).streams[0] as StreamConfig;
}
const ROOT = fileURLToPath(new URL('../', import.meta.url));

interface LoadPlan {
  url: string;
  connections: number;
  durationS: number;
  runId: string;
}

interface LoadResult {
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  durationS: number;
  p50: number;
  p99: number;
}

type Autocannon = (options: Record<string, unknown>) => Promise<{
  '2xx': number;
  non2xx: number;
  errors: number;
  timeouts: number;
  duration: number;
  latency: { p50: number; p99: number };
}>;

/** Runs in the load process: autocannon with a fresh message id per request. */
async function runLoad(plan: LoadPlan): Promise<void> {
  // autocannon ships no type declarations; this is the part used here.
  const specifier = 'autocannon';
  const { default: autocannon } = (await import(specifier)) as { default: Autocannon };
  let n = 0;
  const result = await autocannon({
    url: plan.url,
    connections: plan.connections,
    duration: plan.durationS,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    requests: [
      {
        setupRequest: (req: Record<string, unknown>) => {
          const i = n++;
          return {
            ...req,
            body: JSON.stringify({
              message: {
                data: Buffer.from(`bench payload ${i} ${'x'.repeat(64)}`).toString('base64'),
                messageId: `${plan.runId}-${i}`,
                publishTime: new Date().toISOString(),
                attributes: { i: String(i) },
              },
              subscription: SUB,
            }),
          };
        },
      },
    ],
  });
  const out: LoadResult = {
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    durationS: result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

function load(plan: LoadPlan): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [fileURLToPath(import.meta.url), `--load=${JSON.stringify(plan)}`],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), (plan.durationS + 60) * 1000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !line.startsWith('{'))
        reject(new Error(`load process failed (${code}): ${out}`));
      else resolve(JSON.parse(line) as LoadResult);
    });
  });
}

/** A functions-framework handler that does nothing, written to a scratch dir. */
async function noopSource(dir: string): Promise<string> {
  const framework = join(ROOT, 'node_modules/@google-cloud/functions-framework/build/src/index.js');
  const file = join(dir, 'noop.cjs');
  await writeFile(
    file,
    `require(${JSON.stringify(framework)}).http('noop', (req, res) => res.status(200).json({ ok: true }));\n`,
  );
  return file;
}

async function countObjects(
  store: ObjectStore,
  stream: StreamConfig,
): Promise<{ objects: number; records: number }> {
  let objects = 0;
  let records = 0;
  for (let p = 0; p < stream.partitions; p++) {
    for await (const object of listTail(store, stream, p)) {
      objects++;
      records += object.meta.recordCount;
    }
  }
  return { objects, records };
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const durationArg = process.argv.find((a) => a.startsWith('--duration='));
  const durationS = durationArg ? Number(durationArg.split('=')[1]) : quick ? 4 : 8;
  const connectionCounts = quick ? [200] : [50, 200, 500];
  const scratch = await mkdtemp(join(tmpdir(), 'cascade-bench-ingest-'));
  const rows: BenchRow[] = [];
  let gcs: FakeGcs | undefined;
  let noop: FunctionProcess | undefined;
  try {
    // The no-op handler stays up all run and is measured right before each
    // case at the same connection count: the machine is shared, so a
    // baseline taken minutes earlier would not be comparable.
    noop = await startFunction({ target: 'noop', source: await noopSource(scratch), env: {} });
    const noopUrl = noop.url;
    const measureBaseline = async (connections: number, forCase: string): Promise<LoadResult> => {
      const result = await load({ url: noopUrl, connections, durationS, runId: 'noop' });
      for (const [metric, value, unit] of [
        ['msgs_per_s', result.ok / result.durationS, 'msgs/s'],
        ['p50_ms', result.p50, 'ms'],
        ['p99_ms', result.p99, 'ms'],
      ] as const) {
        rows.push({ case: `noop/${forCase}`, metric, value, unit });
      }
      return result;
    };
    gcs = await startFakeGcs();
    // Every backend at every connection count with the default stream
    // settings (1 partition, 20 ms linger), plus 4-partition variants at 200
    // connections: a batch can only hold the requests in flight for its
    // partition, so more partitions mean smaller objects.
    const cases: { backend: 'fs' | 'gcs'; connections: number; partitions: number }[] = [];
    for (const backend of ['fs', 'gcs'] as const) {
      for (const connections of connectionCounts)
        cases.push({ backend, connections, partitions: 1 });
      cases.push({ backend, connections: 200, partitions: 4 });
    }
    for (const { backend, connections, partitions } of cases) {
      const name = `${backend}/${connections}conn${partitions === 1 ? '' : `/${partitions}part`}`;
      const stream = streamOf(partitions);
      let env: Record<string, string>;
      let store: ObjectStore;
      if (backend === 'fs') {
        const dir = join(scratch, name.replaceAll('/', '-'));
        await mkdir(dir, { recursive: true });
        env = { CASCADE_STORAGE: 'fs', CASCADE_DATA_DIR: dir };
        store = new FsStore({ root: dir });
      } else {
        const bucket = await gcs.newBucket('bench');
        env = {
          CASCADE_STORAGE: 'gcs',
          CASCADE_BUCKET: bucket,
          STORAGE_EMULATOR_HOST: gcs.endpoint,
        };
        store = new GcsStore({ bucket, apiEndpoint: gcs.endpoint });
      }
      const fn: FunctionProcess = await startFunction({
        target: 'ingest',
        env: {
          ...env,
          CASCADE_PUSH_AUTH: 'off',
          CASCADE_STREAMS: JSON.stringify(streamDocument(partitions)),
          CASCADE_LOG_LEVEL: 'warn',
        },
      });
      const base = await measureBaseline(connections, name);
      let result: LoadResult;
      try {
        result = await load({
          url: fn.url,
          connections,
          durationS,
          runId: name.replaceAll('/', '-'),
        });
      } finally {
        await fn.stop();
      }
      const { objects, records } = await countObjects(store, stream);
      await store.close();
      const value = result.ok / result.durationS;
      const baseValue = base.ok / base.durationS;
      rows.push({
        case: name,
        metric: 'msgs_per_s',
        value,
        baseline: baseValue,
        ratio: value / baseValue,
        unit: 'msgs/s',
      });
      rows.push({
        case: name,
        metric: 'p50_ms',
        value: result.p50,
        baseline: base.p50,
        ratio: result.p50 / Math.max(base.p50, 1),
        unit: 'ms',
      });
      rows.push({
        case: name,
        metric: 'p99_ms',
        value: result.p99,
        baseline: base.p99,
        ratio: result.p99 / Math.max(base.p99, 1),
        unit: 'ms',
      });
      rows.push({
        case: name,
        metric: 'msgs_per_object',
        value: records / Math.max(objects, 1),
        unit: 'msgs',
      });
      rows.push({
        case: name,
        metric: 'data_objects_per_msg',
        value: objects / Math.max(records, 1),
        unit: 'objects',
      });
      if (result.non2xx + result.errors + result.timeouts > 0 || records < result.ok) {
        console.error(
          `# ${name}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts; ${records} records stored for ${result.ok} acks`,
        );
      }
    }
  } finally {
    await noop?.stop();
    await gcs?.stop();
    await rm(scratch, { recursive: true, force: true });
  }

  await writeReport('ingest', rows);
}

const loadArg = process.argv.find((a) => a.startsWith('--load='));
if (loadArg) await runLoad(JSON.parse(loadArg.slice('--load='.length)) as LoadPlan);
else await main();
