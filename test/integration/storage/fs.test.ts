// The conformance suite against the filesystem backend, each case on a fresh
// root under the OS temp folder.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsStore } from '../../../src/storage/index.ts';
import { registerConformance } from './conformance.ts';

registerConformance('fs', async () => {
  const base = await mkdtemp(join(tmpdir(), 'cascade-fs-conformance-'));
  let next = 0;
  return {
    label: 'fs',
    residentCopies: 0,
    async open() {
      const root = join(base, `store-${next++}`);
      return { store: new FsStore({ root }), spec: { kind: 'fs', root } };
    },
    async teardown() {
      await rm(base, { recursive: true, force: true });
    },
  };
});
