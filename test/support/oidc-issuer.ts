// A stand-in for Google's token issuer in tests: an RSA key made here,
// its public key served as PEM certificates from a loopback HTTP endpoint
// (the shape of https://www.googleapis.com/oauth2/v1/certs), and a signer
// for push tokens. Hostile variants (alg none, tampering, other keys) are
// built from the same pieces.
import { createSign, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface OidcIssuer {
  /** URL to give CASCADE_OIDC_CERTS_URL. */
  readonly certsUrl: string;
  /** How many times the certificates were fetched. */
  readonly fetches: number;
  /** A signed RS256 token with sane defaults (iss Google, iat now, exp in an hour). */
  token(claims: Record<string, unknown>, options?: TokenOptions): string;
  stop(): Promise<void>;
}

export interface TokenOptions {
  kid?: string;
  alg?: string;
  /** Sign with this key instead of the served one. */
  key?: KeyObject;
}

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Builds an unsigned `alg: none` token. */
export function unsignedToken(claims: Record<string, unknown>, kid = 'test-key'): string {
  return `${b64url({ alg: 'none', kid, typ: 'JWT' })}.${b64url(claims)}.`;
}

/** Replaces a token's payload, keeping its header and signature. */
export function tamperPayload(token: string, claims: Record<string, unknown>): string {
  const [header, , signature] = token.split('.');
  return `${header}.${b64url(claims)}.${signature}`;
}

/** Starts the certificate endpoint on 127.0.0.1 and returns the issuer. */
export async function startOidcIssuer(kid = 'test-key'): Promise<OidcIssuer> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const certs = { [kid]: publicKey.export({ type: 'spki', format: 'pem' }) };
  let fetches = 0;
  const server: Server = createServer((req, res) => {
    if (req.url !== '/certs') {
      res.writeHead(404).end();
      return;
    }
    fetches++;
    res.writeHead(200, {
      'content-type': 'application/json',
      'cache-control': 'public, max-age=3600',
    });
    res.end(JSON.stringify(certs));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    certsUrl: `http://127.0.0.1:${port}/certs`,
    get fetches() {
      return fetches;
    },
    token(claims, options = {}) {
      const now = Math.floor(Date.now() / 1000);
      const header = { alg: options.alg ?? 'RS256', kid: options.kid ?? kid, typ: 'JWT' };
      const payload = { iss: 'https://accounts.google.com', iat: now, exp: now + 3600, ...claims };
      const signed = `${b64url(header)}.${b64url(payload)}`;
      const signature = createSign('RSA-SHA256')
        .update(signed)
        .sign(options.key ?? privateKey);
      return `${signed}.${signature.toString('base64url')}`;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
