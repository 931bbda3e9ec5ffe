import type { File } from '@google-cloud/storage';
import type { ByteRange } from './types.ts';

export interface OpenMedia {
  /** The generation that the bytes belong to (x-goog-generation). */
  generation: number;
  /** The rest of the body. Return early (`break`) to abort the download. */
  chunks: AsyncIterableIterator<Buffer>;
}

/**
 * Starts a media download and waits for the response headers, so the caller
 * knows which generation the bytes belong to before reading them. Resolves
 * with an iterator over the body; rejects with the client's error (e.g. a 404
 * or 416 ApiError, or a transport error).
 */
export async function openMedia(
  file: File,
  range: ByteRange | undefined,
  options: { validate: boolean },
): Promise<OpenMedia> {
  const rangeOptions =
    range === undefined
      ? {}
      : 'suffix' in range
        ? { end: -range.suffix } // the client sends "Range: bytes=-N"
        : { start: range.start, ...(range.end === undefined ? {} : { end: range.end }) };
  const stream = file.createReadStream({
    ...rangeOptions,
    validation: range === undefined && options.validate ? 'crc32c' : false,
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
  return { generation, chunks: iterator };
}

function headerValue(headers: Record<string, unknown>, name: string): string | undefined {
  const value = headers[name] ?? headers[name.toLowerCase()];
  if (Array.isArray(value)) return String(value[0]);
  return value === undefined ? undefined : String(value);
}
