// Reads a whole partition through LogReader in its own process (started with
// a small --max-old-space-size) and prints what it saw and its peak memory
// (resident set, sampled):
//   S {"records":…,"bytes":…,"checksum":…,"maxRssBytes":…,"heapUsedBytes":…}
// Run: node --max-old-space-size=64 test/support/segment-scan-worker.ts '<json>'
import { createHash } from 'node:crypto';
import { streamSettings } from '../../src/log/index.ts';
import { LogReader } from '../../src/log/log-reader.ts';
import type { StreamSettings } from '../../src/log/types.ts';
import { openTestStore, type TestStoreSpec } from './log-stores.ts';

export interface ScanWorkerPlan {
  store: TestStoreSpec;
  stream: Pick<StreamSettings, 'name' | 'prefix' | 'partitions'>;
  partition: number;
  from: number;
}

const plan = JSON.parse(process.argv[2] ?? '') as ScanWorkerPlan;
const store = await openTestStore(plan.store);
const reader = new LogReader({ store, stream: streamSettings(plan.stream) });
const hash = createHash('sha256');
let records = 0;
let bytes = 0;
let next = plan.from;
let heapUsedBytes = 0;
// Sampled rather than getrusage's maxRSS: on Linux a child's maxRSS starts
// from its parent's at fork, which says nothing about this reader.
let maxRssBytes = 0;
const sample = () => {
  const usage = process.memoryUsage();
  maxRssBytes = Math.max(maxRssBytes, usage.rss);
  heapUsedBytes = Math.max(heapUsedBytes, usage.heapUsed);
};
const sampler = setInterval(sample, 10);
for await (const chunk of reader.readFrom(plan.partition, plan.from)) {
  for (const record of chunk.records) {
    if (record.offset !== next) throw new Error(`offset ${record.offset} where ${next} belongs`);
    next++;
    records++;
    bytes += record.data.byteLength;
    hash.update(record.data);
  }
  sample();
}
clearInterval(sampler);
process.stdout.write(
  `S ${JSON.stringify({ records, bytes, checksum: hash.digest('hex'), maxRssBytes, heapUsedBytes })}\n`,
);
await store.close();
