// The log's multi-process cases on the Cloud Storage backend, against
// fake-gcs-server (or the emulator named by STORAGE_EMULATOR_HOST), plus the
// storage-fault case through the fault-injecting proxy.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { streamSettings } from '../../../src/log/index.ts';
import { type FakeGcs, startFakeGcs } from '../../support/fake-gcs.ts';
import { type FaultProxy, gcsRequests, startFaultProxy } from '../../support/fault-proxy.ts';
import {
  checkLog,
  checkWithPythonAvro,
  killAllWorkers,
  readStream,
  startWorker,
} from '../../support/log-harness.ts';
import { TENANT_ATTRIBUTE } from '../../support/log-messages.ts';
import { openTestStore, type TestStoreSpec } from '../../support/log-stores.ts';
import { type LogBackend, logSuite } from '../../support/log-suite.ts';

let gcs: FakeGcs | undefined;
let backend: LogBackend | undefined;
let proxy: FaultProxy | undefined;

before(async () => {
  gcs = await startFakeGcs();
  const spec: TestStoreSpec = {
    kind: 'gcs',
    endpoint: gcs.endpoint,
    bucket: await gcs.newBucket('log-it'),
  };
  backend = { name: 'gcs', spec, store: await openTestStore(spec) };
});

after(async () => {
  killAllWorkers();
  await proxy?.close();
  await backend?.store.close();
  await gcs?.stop();
});

// The full size: 20,000 messages per process, as on the filesystem.
// LOG_IT_GCS_MESSAGES shrinks it for a quick local loop.
logSuite(() => backend!, {
  messagesPerProcess: Number(process.env.LOG_IT_GCS_MESSAGES ?? 20_000),
});

describe('log under storage faults', () => {
  it('429, 503 and connections dropped after commit: no duplicate, no gap', async (t) => {
    // Prepare: workers talk to the emulator through the proxy; the test reads directly.
    proxy = await startFaultProxy({ target: gcs!.endpoint, seed: 42 });
    const rules = [
      proxy.addRule({
        match: gcsRequests.create,
        action: { kind: 'drop-after-forward' },
        probability: 0.06,
      }),
      proxy.addRule({
        match: gcsRequests.create,
        action: { kind: 'status', status: 429 },
        probability: 0.05,
      }),
      proxy.addRule({
        match: gcsRequests.create,
        action: { kind: 'status', status: 503 },
        probability: 0.05,
      }),
      proxy.addRule({
        match: gcsRequests.create,
        action: { kind: 'drop-before-forward' },
        probability: 0.03,
      }),
      proxy.addRule({
        match: gcsRequests.media,
        action: { kind: 'status', status: 503 },
        probability: 0.03,
      }),
      proxy.addRule({
        match: gcsRequests.list,
        action: { kind: 'status', status: 503 },
        probability: 0.05,
      }),
    ];
    const spec: TestStoreSpec = { ...backend!.spec, endpoint: proxy.url } as TestStoreSpec;
    const s = streamSettings({
      name: 'faults',
      prefix: 'it/',
      partitions: 2,
      partitionKey: { attribute: TENANT_ATTRIBUTE },
    });
    const { name, prefix, partitions, partitionKey } = s;
    // Act: two processes, each also redelivering every 5th of the other's messages.
    const workers = [0, 1].map((w) =>
      startWorker({
        store: spec,
        stream: { name, prefix, partitions, partitionKey },
        worker: w,
        first: 0,
        count: 1500,
        redeliver: [{ worker: 1 - w, every: 5, first: 0, count: 1500 }],
        concurrency: 100,
      }),
    );
    const stats = await Promise.all(workers.map((w) => w.done));
    // Assess
    const fired = rules.map((r) => r.fired);
    t.diagnostic(
      `faults fired ${JSON.stringify(fired)}; retried appends ${stats.map((x) => x?.failures)}`,
    );
    assert.ok(fired[0]! > 0, 'some creates were committed and their answer lost');
    const partitionsRead = await readStream(backend!.store, s);
    const where = checkLog(
      s,
      partitionsRead,
      workers.flatMap((w) => w.acks),
      { checkOrder: false },
    );
    assert.equal(where.size, 3000);
    await checkWithPythonAvro(backend!.store, s, partitionsRead);
  });
});
