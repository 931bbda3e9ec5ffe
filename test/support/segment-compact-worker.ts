// A compactor in its own process, for the segments' multi-process tests: it
// compacts the given partitions `loops` times and prints one line per run,
// so a test can SIGKILL it at any point of a compaction.
//   B                  started
//   R <json result>    one compaction run finished
// Run: node test/support/segment-compact-worker.ts '<json CompactWorkerPlan>'
import { setTimeout as sleep } from 'node:timers/promises';
import { type CompactionPolicy, Compactor } from '../../src/log/compactor.ts';
import { type StreamSettings, streamSettings } from '../../src/log/index.ts';
import { openTestStore, type TestStoreSpec } from './log-stores.ts';

export interface CompactWorkerPlan {
  store: TestStoreSpec;
  stream: Partial<StreamSettings> & Pick<StreamSettings, 'name' | 'prefix' | 'partitions'>;
  partitions: number[];
  policy: Partial<CompactionPolicy>;
  loops: number;
  pauseMs: number;
}

const plan = JSON.parse(process.argv[2] ?? '') as CompactWorkerPlan;
const store = await openTestStore(plan.store);
const compactor = new Compactor({
  store,
  stream: streamSettings(plan.stream),
  policy: plan.policy,
});
process.stdout.write('B\n');
for (let loop = 0; loop < plan.loops; loop++) {
  for (const partition of plan.partitions) {
    const result = await compactor.compact(partition);
    process.stdout.write(
      `R ${JSON.stringify({
        partition,
        created: result.created.length,
        deleted: result.deleted.length,
        yielded: result.yielded,
        tailStart: result.tailStart,
      })}\n`,
    );
  }
  if (plan.pauseMs > 0) await sleep(plan.pauseMs);
}
await store.close();
