import { CascadeError } from '../errors.ts';

const STANDARD = /^[A-Za-z0-9+/]*={0,2}$/;
const URL_SAFE = /^[A-Za-z0-9_-]*={0,2}$/;

/**
 * Decodes base64 strictly: Node's decoder silently skips junk, which would
 * store a corrupted payload instead of refusing a request that is not
 * Pub/Sub's.
 *
 * @throws CascadeError BAD_REQUEST
 */
export function decodeBase64Strict(text: string, field: string): Uint8Array {
  const padded = text.length % 4 === 0 || !text.includes('=');
  if (!(STANDARD.test(text) || URL_SAFE.test(text)) || !padded || text.length % 4 === 1) {
    throw new CascadeError('BAD_REQUEST', `${field} is not valid base64`, {
      retryable: false,
      details: { field },
    });
  }
  const bytes = Buffer.from(text, STANDARD.test(text) ? 'base64' : 'base64url');
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
