export { FsStore, type FsStoreOptions } from './fs-store.ts';
export { type GcsRetryOptions, GcsStore, type GcsStoreOptions } from './gcs-store.ts';
export { compareNames, MemoryStore } from './memory-store.ts';
export { MAX_NAME_BYTES, validateNamePrefix, validateObjectName } from './names.ts';
export { MAX_METADATA_BYTES, RESERVED_METADATA_KEYS } from './options.ts';
export { resolveRange, validateRange } from './range.ts';
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
