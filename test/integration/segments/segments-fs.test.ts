// The segments' integration cases on the filesystem backend.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { openTestStore, type TestStoreSpec } from '../../support/log-stores.ts';
import { type SegmentBackend, segmentSuite } from '../../support/segment-suite.ts';

let backend: SegmentBackend | undefined;
let root = '';

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'cascade-seg-fs-'));
  const spec: TestStoreSpec = { kind: 'fs', root };
  backend = { name: 'fs', spec, store: await openTestStore(spec) };
});

after(async () => {
  await backend?.store.close();
  if (root) await rm(root, { recursive: true, force: true });
});

segmentSuite(() => backend!, {
  bigScanBytes: 1024 * 1024 * 1024,
  killDelaysMs: [20, 150, 500],
  raceMessages: 1500,
});
