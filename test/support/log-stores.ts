// How the log's test workers and benchmark processes open a store: a spec
// that survives JSON (it is passed on a child's command line).

import { FsStore } from '../../src/storage/fs-store.ts';
import type { ObjectStore } from '../../src/storage/index.ts';

/** A store a child process can open by itself. */
export type TestStoreSpec =
  | { kind: 'fs'; root: string }
  | { kind: 'gcs'; endpoint: string; bucket: string };

/** Opens the store a spec names. */
export async function openTestStore(spec: TestStoreSpec): Promise<ObjectStore> {
  if (spec.kind === 'fs') return new FsStore({ root: spec.root });
  throw new Error(`gcs not wired yet: ${spec.endpoint}`);
}
