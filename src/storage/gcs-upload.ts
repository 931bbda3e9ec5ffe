import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Bucket } from '@google-cloud/storage';
import { CascadeError } from '../errors.ts';
import { REPLACES, WRITE_ID } from './gcs-object.ts';
import type { PutOptions } from './types.ts';

/**
 * One simple (multipart, not resumable) upload attempt, tagged with the
 * write's id and the generation it replaces (gcs-object.ts). `body` is called
 * afresh for each attempt. Resolves with the new generation.
 */
export async function uploadOnce(
  bucket: Bucket,
  name: string,
  options: PutOptions,
  body: () => Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
  attempt: {
    precondition: number | undefined;
    writeId: string;
    md5Hash: string | undefined;
    timeoutMs: number;
  },
): Promise<number> {
  const file = bucket.file(name);
  const upload = file.createWriteStream({
    resumable: false,
    validation: false,
    timeout: attempt.timeoutMs,
    ...(attempt.precondition !== undefined
      ? { preconditionOpts: { ifGenerationMatch: attempt.precondition } }
      : {}),
    metadata: {
      contentType: options.contentType ?? 'application/octet-stream',
      metadata: {
        ...options.metadata,
        [WRITE_ID]: attempt.writeId,
        ...(attempt.precondition !== undefined ? { [REPLACES]: String(attempt.precondition) } : {}),
      },
      // The server checks a declared MD5 before it commits anything.
      ...(attempt.md5Hash ? { md5Hash: attempt.md5Hash } : {}),
    },
  });
  await pipeline(Readable.from(body(), { objectMode: false }), upload);
  const generation = Number(file.metadata.generation);
  if (!Number.isSafeInteger(generation) || generation <= 0) {
    throw new CascadeError(
      'INTERNAL',
      `put ${JSON.stringify(name)}: the upload answered without a generation`,
    );
  }
  return generation;
}
