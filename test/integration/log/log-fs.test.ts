// The log's multi-process cases on the filesystem backend.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { killAllWorkers } from '../../support/log-harness.ts';
import { openTestStore, type TestStoreSpec } from '../../support/log-stores.ts';
import { type LogBackend, logSuite } from '../../support/log-suite.ts';

let backend: LogBackend | undefined;
let root = '';

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'cascade-log-fs-'));
  const spec: TestStoreSpec = { kind: 'fs', root };
  backend = { name: 'fs', spec, store: await openTestStore(spec) };
});

after(async () => {
  // Workers left by a failed case must be gone before their files are removed.
  killAllWorkers();
  await backend?.store.close();
  if (root) await rm(root, { recursive: true, force: true, maxRetries: 5 });
});

logSuite(() => backend!, { messagesPerProcess: Number(process.env.LOG_IT_MESSAGES ?? 20_000) });
