export type { AppenderStats, AppenderTuning } from './appender-tuning.ts';
export {
  COMPACTION_DEFAULTS,
  type CompactionPolicy,
  type CompactionResult,
  Compactor,
} from './compactor.ts';
export { DedupIndex } from './dedup-index.ts';
export type { HeadHint } from './head-hint.ts';
export { readHeadHint, writeHeadHint } from './head-hint.ts';
export { LogReader } from './log-reader.ts';
export { type Manifest, readManifest, type SegmentEntry } from './manifest.ts';
export {
  formatOffset,
  headHintName,
  parseTailObjectName,
  partitionFolder,
  tailFolder,
  tailObjectName,
} from './names.ts';
export type { DataObjectMetadata } from './object-metadata.ts';
export { decodeObjectMetadata, encodeObjectMetadata } from './object-metadata.ts';
export type { PartitionAppenderOptions } from './partition-appender.ts';
export { PartitionAppender } from './partition-appender.ts';
export type { ListedObject, ObjectIds } from './partition-scan.ts';
export { listTail, readObjectIds, scanPartition } from './partition-scan.ts';
export { partitionFor, partitionKeyOf } from './partitioner.ts';
export { validateMessage } from './pending-queue.ts';
export type { DataObjectHeader } from './record-format.ts';
export {
  decodeDataObject,
  decodeHeader,
  encodeDataObject,
  FORMAT_VERSION,
  RECORD_SCHEMA,
} from './record-format.ts';
export { applyRetention, type RetentionPolicy } from './retention.ts';
export { manifestName } from './segment-names.ts';
export { STREAM_DEFAULTS, streamSettings } from './settings.ts';
export type { StreamWriterOptions } from './stream-writer.ts';
export { StreamWriter } from './stream-writer.ts';
export type { ReadChunk, ReadOptions } from './tail-reader.ts';
export { TailReader } from './tail-reader.ts';
export type {
  AppendResult,
  LogDependencies,
  LogMessage,
  LogRecord,
  StreamSettings,
} from './types.ts';
