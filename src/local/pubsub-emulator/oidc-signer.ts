import { createHash, generateKeyPair, type KeyObject, randomBytes, sign } from 'node:crypto';
import { promisify } from 'node:util';
import { selfSignedCertificate } from './x509.ts';

/** The issuer Google puts in push OIDC tokens, and so does the emulator. */
export const GOOGLE_ISSUER = 'https://accounts.google.com';

/** What one push token asserts. */
export interface TokenRequest {
  audience: string;
  serviceAccountEmail: string;
}

/**
 * Signs push OIDC tokens with the emulator's own RSA key and publishes the
 * matching verification keys in both of Google's formats. Tokens carry real
 * wall-clock `iat`/`exp` (not the emulator clock) because verifiers check them
 * against their own clock.
 */
export interface OidcSigner {
  readonly kid: string;
  /** A signed RS256 JWT for a push request. */
  token(request: TokenRequest): string;
  /** Google's PEM map, as served at oauth2/v1/certs: `{ [kid]: certificate }`. */
  pemCerts(): Record<string, string>;
  /** Google's JWKS, as served at oauth2/v3/certs. */
  jwks(): { keys: Record<string, string>[] };
}

const TOKEN_LIFETIME_S = 3600;
// A cached token is reused until it has this little life left.
const REFRESH_MARGIN_S = 300;
const DAY_MS = 86_400_000;

function base64url(value: Buffer | string): string {
  return Buffer.from(value).toString('base64url');
}

/** A numeric subject id derived from the email, stable across runs like a real account's. */
function subjectOf(email: string): string {
  const digest = createHash('sha256').update(email).digest();
  return `1${digest.readBigUInt64BE(0).toString().padStart(20, '0')}`;
}

/** Creates a signer with a fresh 2048-bit RSA key. */
export async function createOidcSigner(wallClock: () => number = Date.now): Promise<OidcSigner> {
  const { publicKey, privateKey } = await promisify(generateKeyPair)('rsa', {
    modulusLength: 2048,
  });
  return signerFor(publicKey, privateKey, wallClock);
}

function signerFor(
  publicKey: KeyObject,
  privateKey: KeyObject,
  wallClock: () => number,
): OidcSigner {
  const kid = randomBytes(20).toString('hex');
  const issuedAt = wallClock();
  const certificate = selfSignedCertificate({
    commonName: 'cascade-pubsub-emulator',
    serial: randomBytes(8),
    notBefore: issuedAt - DAY_MS,
    notAfter: issuedAt + 365 * DAY_MS,
    publicKey,
    privateKey,
  });
  const jwk = publicKey.export({ format: 'jwk' });
  const cache = new Map<string, { token: string; exp: number }>();

  return {
    kid,
    token({ audience, serviceAccountEmail }) {
      const now = Math.floor(wallClock() / 1000);
      const key = `${audience}\n${serviceAccountEmail}`;
      const cached = cache.get(key);
      if (cached !== undefined && cached.exp - now > REFRESH_MARGIN_S) return cached.token;
      const subject = subjectOf(serviceAccountEmail);
      const header = { alg: 'RS256', kid, typ: 'JWT' };
      const payload = {
        aud: audience,
        azp: subject,
        email: serviceAccountEmail,
        email_verified: true,
        exp: now + TOKEN_LIFETIME_S,
        iat: now,
        iss: GOOGLE_ISSUER,
        sub: subject,
      };
      const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
      const signature = sign('sha256', Buffer.from(signingInput), privateKey);
      const token = `${signingInput}.${base64url(signature)}`;
      cache.set(key, { token, exp: payload.exp });
      return token;
    },
    pemCerts: () => ({ [kid]: certificate }),
    jwks: () => ({
      keys: [{ kty: 'RSA', alg: 'RS256', use: 'sig', kid, n: String(jwk.n), e: String(jwk.e) }],
    }),
  };
}
