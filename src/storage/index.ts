export { compareNames, MemoryStore } from './memory-store.ts';
export { MAX_NAME_BYTES, validateNamePrefix, validateObjectName } from './names.ts';
export { resolveRange } from './range.ts';
export type {
  ByteRange,
  DeleteOptions,
  Generation,
  GetOptions,
  GetResult,
  GetStreamResult,
  ListOptions,
  ObjectInfo,
  ObjectStore,
  PutOptions,
} from './types.ts';
