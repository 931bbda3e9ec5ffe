import assert from 'node:assert/strict';
import { createPublicKey, verify, X509Certificate } from 'node:crypto';
import { before, describe, it } from 'node:test';
import {
  createOidcSigner,
  GOOGLE_ISSUER,
  type OidcSigner,
} from '../../../src/local/pubsub-emulator/oidc-signer.ts';

function decode(token: string) {
  const [header, payload, signature] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(header!, 'base64url').toString()),
    payload: JSON.parse(Buffer.from(payload!, 'base64url').toString()),
    signed: Buffer.from(`${header}.${payload}`),
    signature: Buffer.from(signature!, 'base64url'),
  };
}

describe('OIDC signer', () => {
  let signer: OidcSigner;
  const now = Date.UTC(2026, 0, 15, 12, 0, 0);
  before(async () => {
    signer = await createOidcSigner(() => now);
  });

  it('signs RS256 tokens with Google push claims', () => {
    // Act
    const token = signer.token({
      audience: 'https://a.example/push',
      serviceAccountEmail: 'sa@p.iam.gserviceaccount.com',
    });
    const { header, payload } = decode(token);

    // Assess
    assert.deepEqual(header, { alg: 'RS256', kid: signer.kid, typ: 'JWT' });
    assert.equal(payload.iss, GOOGLE_ISSUER);
    assert.equal(payload.aud, 'https://a.example/push');
    assert.equal(payload.email, 'sa@p.iam.gserviceaccount.com');
    assert.equal(payload.email_verified, true);
    assert.equal(payload.iat, now / 1000);
    assert.equal(payload.exp, now / 1000 + 3600);
    assert.match(payload.sub, /^[0-9]{21}$/);
  });

  it('publishes a self-signed X.509 certificate and a JWK that both verify the signature', () => {
    // Prepare
    const token = signer.token({
      audience: 'aud',
      serviceAccountEmail: 'sa@p.iam.gserviceaccount.com',
    });
    const { signed, signature } = decode(token);

    // Act
    const pem = signer.pemCerts()[signer.kid]!;
    const certificate = new X509Certificate(pem);
    const jwk = signer.jwks().keys[0]!;

    // Assess
    assert.ok(certificate.verify(certificate.publicKey), 'self-signed');
    assert.match(certificate.subject, /cascade-pubsub-emulator/);
    assert.ok(new Date(certificate.validFrom).getTime() < now);
    assert.ok(new Date(certificate.validTo).getTime() > now);
    assert.ok(verify('sha256', signed, certificate.publicKey, signature));
    assert.equal(jwk.kid, signer.kid);
    assert.equal(jwk.alg, 'RS256');
    assert.ok(verify('sha256', signed, createPublicKey({ key: jwk, format: 'jwk' }), signature));
  });

  it('reuses a token for the same audience and email and not across them', () => {
    const a = signer.token({ audience: 'one', serviceAccountEmail: 'sa@x' });
    assert.equal(signer.token({ audience: 'one', serviceAccountEmail: 'sa@x' }), a);
    assert.notEqual(signer.token({ audience: 'two', serviceAccountEmail: 'sa@x' }), a);
  });
});
