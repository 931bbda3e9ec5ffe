import { createHash, timingSafeEqual } from 'node:crypto';
import { CascadeError } from '../errors.ts';

/**
 * Checks `Authorization: Bearer <token>` against the expected token (read
 * from Secret Manager at cold start). Both sides are hashed first so the
 * comparison is constant-time whatever the lengths. No header or not a
 * bearer token → UNAUTHENTICATED (401); any other token → PERMISSION_DENIED
 * (403). Neither message says anything about the expected value.
 *
 * On Cloud Run the IAM identity token travels in `X-Serverless-Authorization`,
 * which leaves `Authorization` free for this token.
 *
 * @example
 * const check = bearerChecker('s3cret');
 * check(req.headers.authorization); // throws unless 'Bearer s3cret'
 */
export function bearerChecker(expected: string): (header: string | undefined) => void {
  const want = createHash('sha256').update(expected, 'utf8').digest();
  return (header) => {
    const match = /^Bearer +(\S+) *$/i.exec(header ?? '');
    if (!match) {
      throw new CascadeError('UNAUTHENTICATED', 'a bearer token is required', { retryable: false });
    }
    const got = createHash('sha256').update(match[1]!, 'utf8').digest();
    if (!timingSafeEqual(got, want)) {
      throw new CascadeError('PERMISSION_DENIED', 'the bearer token is not accepted', {
        retryable: false,
      });
    }
  };
}
