// The segments' integration cases on the Cloud Storage backend, against
// fake-gcs-server (or the emulator named by STORAGE_EMULATOR_HOST). The
// 1 GiB bounded-memory scan runs on the filesystem backend only.
import { after, before } from 'node:test';
import { type FakeGcs, startFakeGcs } from '../../support/fake-gcs.ts';
import { openTestStore, type TestStoreSpec } from '../../support/log-stores.ts';
import { type SegmentBackend, segmentSuite } from '../../support/segment-suite.ts';

let gcs: FakeGcs | undefined;
let backend: SegmentBackend | undefined;

before(async () => {
  gcs = await startFakeGcs();
  const spec: TestStoreSpec = {
    kind: 'gcs',
    endpoint: gcs.endpoint,
    bucket: await gcs.newBucket('segments-it'),
  };
  backend = { name: 'gcs', spec, store: await openTestStore(spec) };
});

after(async () => {
  await backend?.store.close();
  await gcs?.stop();
});

segmentSuite(() => backend!, { bigScanBytes: 0, killDelaysMs: [60, 500], raceMessages: 600 });
