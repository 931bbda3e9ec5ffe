import { OAuth2Client } from 'google-auth-library';
import type { PushAuthSettings } from '../config/index.ts';
import { CascadeError } from '../errors.ts';

/** Issuers Google uses for the OIDC tokens it attaches to push requests. */
const GOOGLE_ISSUERS = ['https://accounts.google.com', 'accounts.google.com'];

/** The claims of a verified push token that authorization looks at. */
export interface PushClaims {
  iss: string;
  aud: string;
  email: string | undefined;
  emailVerified: boolean;
}

/** Verifies `Authorization: Bearer <OIDC token>` headers of push requests. */
export interface PushVerifier {
  verify(authorization: string | undefined): Promise<PushClaims>;
}

export interface PushVerifierOptions {
  /** PEM certificates endpoint (Google's, or a local emulator's). */
  certsUrl: string;
  /** Every audience some stream accepts; a token for any other is refused outright. */
  audiences: string[];
}

function unauthenticated(message: string, cause?: unknown): CascadeError {
  // Messages from the verifier can quote the whole token; keep them out of the answer.
  return new CascadeError('UNAUTHENTICATED', message, { retryable: false, cause });
}

/**
 * Checks signature (against the configured certificates), expiry, issuer and
 * audience with google-auth-library's `OAuth2Client.verifyIdToken`. Which
 * stream the token may write to is checked afterwards by
 * {@link authorizePush}, once the subscription is known.
 *
 * @example
 * const verifier = createPushVerifier({ certsUrl, audiences: ['https://ingest.example'] });
 * const claims = await verifier.verify(req.headers.authorization);
 */
export function createPushVerifier(options: PushVerifierOptions): PushVerifier {
  const client = new OAuth2Client({
    endpoints: { oauth2FederatedSignonPemCertsUrl: options.certsUrl },
    issuers: GOOGLE_ISSUERS,
  });
  return {
    async verify(authorization) {
      const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
      if (!match) throw unauthenticated('missing or malformed Authorization: Bearer header');
      let payload: Record<string, unknown> | undefined;
      try {
        const ticket = await client.verifyIdToken({
          idToken: match[1] as string,
          audience: options.audiences,
        });
        payload = ticket.getPayload() as Record<string, unknown> | undefined;
      } catch (error) {
        const text = String((error as Error)?.message ?? '');
        if (text.startsWith('Failed to retrieve verification certificates')) {
          throw new CascadeError('UNAVAILABLE', 'cannot fetch the token signing certificates', {
            cause: error,
          });
        }
        throw unauthenticated(`push token rejected: ${reasonOf(text)}`);
      }
      if (payload === undefined) throw unauthenticated('push token has no payload');
      const iss = String(payload.iss ?? '');
      if (!GOOGLE_ISSUERS.includes(iss)) throw unauthenticated('push token has the wrong issuer');
      return {
        iss,
        aud: String(payload.aud ?? ''),
        email: typeof payload.email === 'string' ? payload.email : undefined,
        emailVerified: payload.email_verified === true || payload.email_verified === 'true',
      };
    },
  };
}

/** Short, token-free reasons for the verifier's failures. */
function reasonOf(message: string): string {
  const known: [RegExp, string][] = [
    [/Wrong number of segments/, 'not a JWT'],
    [/No pem found/, 'signed by an unknown key'],
    [/Invalid token signature/, 'bad signature'],
    [/too late/, 'expired'],
    [/too early/, 'not yet valid'],
    [/too far in future/, 'lifetime too long'],
    [/Wrong recipient|audience/i, 'wrong audience'],
    [/Invalid issuer/, 'wrong issuer'],
    [/No issue time|No expiration time/, 'missing iat or exp'],
    [/parse token/i, 'unreadable'],
  ];
  return known.find(([pattern]) => pattern.test(message))?.[1] ?? 'invalid';
}

/**
 * Checks that a verified token may push to a stream: its audience and
 * service-account email are the stream's, and the email is verified.
 *
 * @throws CascadeError PERMISSION_DENIED
 */
export function authorizePush(
  claims: PushClaims,
  expected: PushAuthSettings,
  stream: string,
): void {
  const denied = (why: string) =>
    new CascadeError('PERMISSION_DENIED', `push token may not write to stream ${stream}: ${why}`, {
      retryable: false,
    });
  if (claims.aud !== expected.audience) throw denied('wrong audience');
  if (claims.email !== expected.email) throw denied('wrong service account');
  if (!claims.emailVerified) throw denied('email not verified');
}
