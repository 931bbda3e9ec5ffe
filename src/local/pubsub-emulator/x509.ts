import { type KeyObject, sign } from 'node:crypto';

// A minimal DER writer for one job: a self-signed X.509 v3 certificate
// around the emulator's RSA key, because Google's PEM certs endpoint
// (oauth2/v1/certs) serves certificates, not bare public keys, and verifiers
// may parse them as such.
//
// Certificate     ::= SEQUENCE { tbsCertificate, signatureAlgorithm, BIT STRING signature }
// TBSCertificate  ::= SEQUENCE { [0] EXPLICIT version(2 = v3), serialNumber INTEGER,
//                                signature AlgorithmIdentifier, issuer Name,
//                                validity SEQUENCE { notBefore, notAfter },
//                                subject Name, subjectPublicKeyInfo }
// Name            ::= SEQUENCE { SET { SEQUENCE { OID 2.5.4.3 (CN), UTF8String } } }

function tlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  let length: Buffer;
  if (n < 0x80) length = Buffer.from([n]);
  else {
    const bytes: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
    length = Buffer.from([0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([Buffer.from([tag]), length, content]);
}

const sequence = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items));

function integer(bytes: Buffer): Buffer {
  // DER integers are signed: a leading 1 bit needs a zero byte in front.
  return tlv(0x02, (bytes[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes);
}

function oid(dotted: string): Buffer {
  const [a = 0, b = 0, ...rest] = dotted.split('.').map(Number);
  const out = [40 * a + b];
  for (const value of rest) {
    const groups: number[] = [];
    for (let v = value; ; v = Math.floor(v / 128)) {
      groups.unshift(v % 128);
      if (v < 128) break;
    }
    out.push(...groups.map((g, i) => (i < groups.length - 1 ? g | 0x80 : g)));
  }
  return tlv(0x06, Buffer.from(out));
}

function time(ms: number): Buffer {
  const iso = new Date(ms).toISOString();
  const digits = iso.slice(0, 19).replace(/[-:T]/g, '');
  // UTCTime (two-digit year) up to 2049, GeneralizedTime after, as RFC 5280 requires.
  return new Date(ms).getUTCFullYear() < 2050
    ? tlv(0x17, Buffer.from(`${digits.slice(2)}Z`))
    : tlv(0x18, Buffer.from(`${digits}Z`));
}

const name = (commonName: string): Buffer =>
  sequence(tlv(0x31, sequence(oid('2.5.4.3'), tlv(0x0c, Buffer.from(commonName)))));

const SHA256_WITH_RSA = sequence(oid('1.2.840.113549.1.1.11'), Buffer.from([0x05, 0x00]));

/** What goes into the certificate. */
export interface CertificateOptions {
  commonName: string;
  serial: Buffer;
  notBefore: number;
  notAfter: number;
  publicKey: KeyObject;
  privateKey: KeyObject;
}

/** A PEM self-signed certificate (sha256WithRSAEncryption) for an RSA key pair. */
export function selfSignedCertificate(options: CertificateOptions): string {
  const spki = options.publicKey.export({ type: 'spki', format: 'der' });
  const tbs = sequence(
    tlv(0xa0, integer(Buffer.from([2]))),
    integer(options.serial),
    SHA256_WITH_RSA,
    name(options.commonName),
    sequence(time(options.notBefore), time(options.notAfter)),
    name(options.commonName),
    spki,
  );
  const signature = sign('sha256', tbs, options.privateKey);
  const der = sequence(
    tbs,
    SHA256_WITH_RSA,
    tlv(0x03, Buffer.concat([Buffer.from([0]), signature])),
  );
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}
