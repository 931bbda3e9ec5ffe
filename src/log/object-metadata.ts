import { CascadeError } from '../errors.ts';

/**
 * Custom metadata on every data object, so `head`/`list` tell a reader what
 * an object holds without reading it. Keys and values (decimal strings):
 *
 *   cascade-version            "1"
 *   cascade-base-offset        offset of the first record
 *   cascade-record-count       number of records
 *   cascade-min-publish-time   smallest publish_time, µs since epoch
 *   cascade-max-publish-time   largest publish_time, µs since epoch
 *   cascade-ingest-time        when the batch was built, µs since epoch
 *   cascade-header-bytes       length of the Avro header (where ids are)
 *   cascade-batch-id           the commit attempt's id (also in the header)
 */
export interface DataObjectMetadata {
  baseOffset: number;
  recordCount: number;
  minPublishTimeMicros: number;
  maxPublishTimeMicros: number;
  ingestTimeMicros: number;
  headerBytes: number;
  batchId: string;
}

const VERSION = '1';

/** Encodes {@link DataObjectMetadata} as string pairs for the object store. */
export function encodeObjectMetadata(meta: DataObjectMetadata): Record<string, string> {
  return {
    'cascade-version': VERSION,
    'cascade-base-offset': String(meta.baseOffset),
    'cascade-record-count': String(meta.recordCount),
    'cascade-min-publish-time': String(meta.minPublishTimeMicros),
    'cascade-max-publish-time': String(meta.maxPublishTimeMicros),
    'cascade-ingest-time': String(meta.ingestTimeMicros),
    'cascade-header-bytes': String(meta.headerBytes),
    'cascade-batch-id': meta.batchId,
  };
}

/** Parses the metadata of a data object; throws CORRUPT_DATA or UNSUPPORTED_VERSION. */
export function decodeObjectMetadata(
  name: string,
  metadata: Record<string, string>,
): DataObjectMetadata {
  const version = metadata['cascade-version'];
  if (version !== VERSION) {
    throw new CascadeError('UNSUPPORTED_VERSION', `${name}: unknown metadata version ${version}`, {
      retryable: false,
      details: { name, version },
    });
  }
  const number = (key: string): number => {
    const raw = metadata[key];
    const value = raw === undefined || !/^\d+$/.test(raw) ? Number.NaN : Number(raw);
    if (!Number.isSafeInteger(value)) {
      throw new CascadeError('CORRUPT_DATA', `${name}: metadata ${key} is missing or bad`, {
        details: { name, key, raw },
      });
    }
    return value;
  };
  return {
    baseOffset: number('cascade-base-offset'),
    recordCount: number('cascade-record-count'),
    minPublishTimeMicros: number('cascade-min-publish-time'),
    maxPublishTimeMicros: number('cascade-max-publish-time'),
    ingestTimeMicros: number('cascade-ingest-time'),
    headerBytes: number('cascade-header-bytes'),
    batchId: metadata['cascade-batch-id'] ?? '',
  };
}
