// How the log's test workers and benchmark processes open a store: a spec
// that survives JSON (it is passed on a child's command line).
import { FsStore, GcsStore, type ObjectStore } from '../../src/storage/index.ts';

/** A store a child process can open by itself. */
export type TestStoreSpec =
  | { kind: 'fs'; root: string }
  | { kind: 'gcs'; endpoint: string; bucket: string };

/** Opens the store a spec names. */
export async function openTestStore(spec: TestStoreSpec): Promise<ObjectStore> {
  if (spec.kind === 'fs') return new FsStore({ root: spec.root });
  return new GcsStore({ bucket: spec.bucket, apiEndpoint: spec.endpoint });
}
