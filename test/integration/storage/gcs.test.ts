// The conformance suite against the Cloud Storage backend talking to
// fake-gcs-server (built by test/support/build-tools.ts, or the emulator
// named by STORAGE_EMULATOR_HOST), each case in a fresh bucket.
import { GcsStore } from '../../../src/storage/index.ts';
import { startFakeGcs } from '../../support/fake-gcs.ts';
import { registerConformance } from './conformance.ts';

registerConformance('gcs (fake-gcs-server)', async () => {
  const gcs = await startFakeGcs();
  return {
    label: 'gcs',
    residentCopies: 0,
    async open() {
      const bucket = await gcs.newBucket('conformance');
      return {
        store: new GcsStore({ bucket, apiEndpoint: gcs.endpoint }),
        spec: { kind: 'gcs', apiEndpoint: gcs.endpoint, bucket },
      };
    },
    async teardown() {
      await gcs.stop();
    },
  };
});
