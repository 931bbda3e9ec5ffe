// The conformance suite against the in-memory store (child processes reach
// the parent's store over IPC, so the multi-process race runs too).
import { MemoryStore } from '../../../src/storage/index.ts';
import { registerConformance } from './conformance.ts';

registerConformance('memory', async () => ({
  label: 'memory',
  residentCopies: 1,
  async open() {
    return { store: new MemoryStore(), spec: { kind: 'ipc' } };
  },
  async teardown() {},
}));
