import type { Bucket, File } from '@google-cloud/storage';
import { CascadeError } from '../errors.ts';
import type { DownloadCheck } from './gcs-check.ts';
import { httpStatusOf, mapGcsError } from './gcs-errors.ts';
import { toInfo } from './gcs-object.ts';
import type { RetryPolicy } from './gcs-retry.ts';
import { resolveRange } from './range.ts';
import type { ByteRange, ObjectInfo } from './types.ts';

/** Attempts at a consistent (metadata, bytes) pair while a name is being replaced under us. */
const CONSISTENT_READ_ATTEMPTS = 5;

export interface OpenMedia {
  /** The generation that the bytes belong to (x-goog-generation). */
  generation: number;
  /** The stored object's hashes (x-goog-hash), for checking whole downloads. */
  xGoogHash: string | undefined;
  /** The rest of the body. Return early (`break`) to abort the download. */
  chunks: AsyncIterableIterator<Buffer>;
}

/**
 * Starts a media download and waits for the response headers, so the caller
 * knows which generation the bytes belong to before reading them. Resolves
 * with an iterator over the body; rejects with the client's error (e.g. a 404
 * or 416 ApiError, or a transport error).
 */
export async function openMedia(file: File, range: ByteRange | undefined): Promise<OpenMedia> {
  const rangeOptions =
    range === undefined
      ? {}
      : 'suffix' in range
        ? { end: -range.suffix } // the client sends "Range: bytes=-N"
        : { start: range.start, ...(range.end === undefined ? {} : { end: range.end }) };
  const stream = file.createReadStream({
    ...rangeOptions,
    validation: false, // checked by DownloadCheck (gcs-check.ts), faster
    decompress: false,
  });
  const response = new Promise<{
    headers?: Record<string, unknown>;
    statusCode?: number;
    status?: number;
  }>((resolve, reject) => {
    stream.once('response', resolve);
    stream.once('error', reject);
  });
  const chunks = stream[Symbol.asyncIterator]() as AsyncIterableIterator<Buffer>;
  // The request starts on the first read; keep that read's result for the caller.
  const first = chunks.next();
  first.catch(() => {}); // surfaced through `response` or to the consumer
  let headers: Record<string, unknown>;
  try {
    const res = await response;
    const status = res.statusCode ?? res.status ?? 200;
    if (status >= 300) {
      // The client turns an error status into an ApiError on the body stream.
      await first;
      throw Object.assign(new Error(`media download answered HTTP ${status}`), { code: status });
    }
    headers = res.headers ?? {};
  } catch (error) {
    stream.destroy();
    throw error;
  }
  const generation = Number(headerValue(headers, 'x-goog-generation'));
  let firstPending = true;
  const iterator: AsyncIterableIterator<Buffer> = {
    next() {
      if (firstPending) {
        firstPending = false;
        return first;
      }
      return chunks.next();
    },
    async return(value?: unknown) {
      stream.destroy();
      return { done: true, value: value as Buffer };
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return { generation, xGoogHash: headerValue(headers, 'x-goog-hash'), chunks: iterator };
}

function headerValue(headers: Record<string, unknown>, name: string): string | undefined {
  const value = headers[name] ?? headers[name.toLowerCase()];
  if (Array.isArray(value)) return String(value[0]);
  return value === undefined ? undefined : String(value);
}

/**
 * The body of a download that survives dropped connections: after a failure
 * it reopens from the first byte not yet delivered (`reopen` must pin the
 * generation), with the retry policy's backoff; the count of failures in a
 * row is bounded by the policy's attempts.
 */
export async function* resumingBody(
  first: OpenMedia,
  range: { start: number; end: number },
  reopen: (start: number) => Promise<OpenMedia>,
  retry: { policy: RetryPolicy; what: string; onRetry: (error: CascadeError) => void },
  check?: DownloadCheck,
): AsyncGenerator<Uint8Array> {
  let media: OpenMedia | undefined = first;
  let delivered = 0;
  let failures = 0;
  try {
    for (;;) {
      try {
        media ??= await reopen(range.start + delivered);
        const next = await media.chunks.next();
        if (next.done) break;
        delivered += next.value.byteLength;
        failures = 0;
        check?.update(next.value);
        yield next.value;
      } catch (raw) {
        const error = mapGcsError(raw, retry.what);
        failures++;
        if (!retry.policy.shouldRetry(error, failures)) throw error;
        retry.onRetry(error);
        await media?.chunks.return?.();
        media = undefined;
        await retry.policy.backoff(failures);
        if (range.start + delivered > range.end) break;
      }
    }
    check?.verify(retry.what);
  } finally {
    await media?.chunks.return?.();
  }
}

/**
 * Fetches metadata and starts the media download in parallel (one round
 * trip), and accepts the pair only when both name the same generation.
 */
export async function openConsistent(
  bucket: Bucket,
  name: string,
  range: ByteRange | undefined,
): Promise<
  | { info: ObjectInfo; media: OpenMedia; rangeStart: number; rangeEnd: number }
  | { empty: ObjectInfo & { rangeStart: number; rangeEnd: number } }
> {
  const emptyRead = (info: ObjectInfo) => {
    const { start, end } = resolveRange(range, info.size);
    return { empty: { ...info, rangeStart: start, rangeEnd: end } };
  };
  for (let tries = 0; tries < CONSISTENT_READ_ATTEMPTS; tries++) {
    const file = bucket.file(name);
    const metadata = file.getMetadata().then(([m]) => toInfo(m));
    metadata.catch(() => {}); // awaited below on every path
    if (range && 'suffix' in range && range.suffix === 0) {
      return emptyRead(await metadata);
    }
    let media: OpenMedia;
    try {
      media = await openMedia(file, range);
    } catch (error) {
      // 416: the range starts at or past the end — zero bytes, not an error.
      if (httpStatusOf(error) === 416) return emptyRead(await metadata);
      await metadata.catch(() => {});
      throw error;
    }
    let info: ObjectInfo;
    try {
      info = await metadata;
    } catch (error) {
      await media.chunks.return?.();
      throw error;
    }
    if (info.generation !== media.generation) {
      await media.chunks.return?.();
      continue; // replaced between the two requests: read again
    }
    const { start, end } = resolveRange(range, info.size);
    if (end < start) {
      await media.chunks.return?.();
      return emptyRead(info);
    }
    return { info, media, rangeStart: start, rangeEnd: end };
  }
  throw new CascadeError(
    'UNAVAILABLE',
    `get ${JSON.stringify(name)}: the object kept changing while being read`,
  );
}
