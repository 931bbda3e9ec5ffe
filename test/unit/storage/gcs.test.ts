import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { CRC32C } from '@google-cloud/storage';
import { CascadeError } from '../../../src/errors.ts';
import { DownloadCheck, parseGoogHash } from '../../../src/storage/gcs-check.ts';
import { isTransportError, mapGcsError } from '../../../src/storage/gcs-errors.ts';
import { RetryPolicy } from '../../../src/storage/gcs-retry.ts';

const apiError = (code: number) => Object.assign(new Error(`HTTP ${code}`), { code });
const sysError = (code: string, message = code) => Object.assign(new Error(message), { code });

describe('mapGcsError', () => {
  const table: [string, unknown, string, boolean][] = [
    ['412', apiError(412), 'PRECONDITION_FAILED', false],
    ['404', apiError(404), 'NOT_FOUND', false],
    ['429', apiError(429), 'RATE_LIMITED', true],
    ['408', apiError(408), 'UNAVAILABLE', true],
    ['500', apiError(500), 'UNAVAILABLE', true],
    ['502', apiError(502), 'UNAVAILABLE', true],
    ['503', apiError(503), 'UNAVAILABLE', true],
    ['504', apiError(504), 'UNAVAILABLE', true],
    ['401', apiError(401), 'UNAUTHENTICATED', false],
    ['403', apiError(403), 'PERMISSION_DENIED', false],
    ['400', apiError(400), 'INVALID_ARGUMENT', false],
    [
      'status on response',
      Object.assign(new Error('x'), { response: { status: 503 } }),
      'UNAVAILABLE',
      true,
    ],
    ['ECONNRESET', sysError('ECONNRESET'), 'UNAVAILABLE', true],
    ['ECONNREFUSED', sysError('ECONNREFUSED'), 'UNAVAILABLE', true],
    ['EPIPE', sysError('EPIPE'), 'UNAVAILABLE', true],
    ['socket hang up', new Error('socket hang up'), 'UNAVAILABLE', true],
    [
      'premature close',
      sysError('ERR_STREAM_PREMATURE_CLOSE', 'Premature close'),
      'UNAVAILABLE',
      true,
    ],
    [
      'fetch failed with a cause',
      new Error('fetch failed', { cause: sysError('UND_ERR_SOCKET') }),
      'UNAVAILABLE',
      true,
    ],
    [
      'node-fetch system error',
      Object.assign(new Error('request failed'), { type: 'system' }),
      'UNAVAILABLE',
      true,
    ],
    [
      'download checksum mismatch',
      sysError('CONTENT_DOWNLOAD_MISMATCH', 'mismatch'),
      'UNAVAILABLE',
      true,
    ],
    ['anything else', new Error('bad things'), 'INTERNAL', false],
  ];
  for (const [what, raw, code, retryable] of table) {
    it(`${what} → ${code}`, () => {
      const mapped = mapGcsError(raw, 'op');
      assert.ok(mapped instanceof CascadeError);
      assert.equal(mapped.code, code);
      assert.equal(mapped.retryable, retryable);
      assert.equal(mapped.cause, raw);
    });
  }

  it('passes CascadeErrors through untouched', () => {
    const original = new CascadeError('INVALID_NAME', 'x');
    assert.equal(mapGcsError(original, 'op'), original);
  });

  it('does not call an answered 4xx a transport error', () => {
    assert.equal(isTransportError(apiError(404)), false);
  });
});

describe('RetryPolicy', () => {
  it('backs off exponentially with bounded jitter', () => {
    const low = new RetryPolicy({ initialDelayMs: 100, maxDelayMs: 1000, random: () => 0 });
    const high = new RetryPolicy({ initialDelayMs: 100, maxDelayMs: 1000, random: () => 0.999999 });
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6].map((a) => low.delayAfter(a)),
      [50, 100, 200, 400, 500, 500],
    );
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6].map((a) => Math.round(high.delayAfter(a))),
      [100, 200, 400, 800, 1000, 1000],
    );
  });

  it('retries only retryable errors, and only while attempts remain', async () => {
    const policy = new RetryPolicy({ maxAttempts: 3, initialDelayMs: 1 });
    let calls = 0;
    await assert.rejects(
      policy.run('op', async () => {
        calls++;
        throw apiError(503);
      }),
      (e: unknown) => e instanceof CascadeError && e.code === 'UNAVAILABLE',
    );
    assert.equal(calls, 3);
    calls = 0;
    await assert.rejects(
      policy.run('op', async () => {
        calls++;
        throw apiError(412);
      }),
      (e: unknown) => e instanceof CascadeError && e.code === 'PRECONDITION_FAILED',
    );
    assert.equal(calls, 1);
    calls = 0;
    const value = await policy.run('op', async () => {
      if (++calls < 3) throw sysError('ECONNRESET');
      return 'ok';
    });
    assert.equal(value, 'ok');
  });
});

describe('DownloadCheck', () => {
  const data = Buffer.from('hello, world');
  const md5 = createHash('md5').update(data).digest('base64');
  const crc = new CRC32C();
  crc.update(data);
  const crc32c = crc.toString();

  it('parses x-goog-hash', () => {
    assert.deepEqual(parseGoogHash(`crc32c=${crc32c},md5=${md5}`), { crc32c, md5 });
    assert.deepEqual(parseGoogHash(undefined), {});
    assert.deepEqual(parseGoogHash('junk'), {});
  });

  for (const header of [`crc32c=${crc32c},md5=${md5}`, `crc32c=${crc32c}`, `md5=${md5}`]) {
    it(`accepts matching bytes (${header.split('=')[0]}…), fed in pieces`, () => {
      const check = new DownloadCheck(header);
      check.update(data.subarray(0, 5));
      check.update(data.subarray(5));
      check.verify('get x');
    });
    it(`rejects damaged bytes (${header.split('=')[0]}…) with a retryable error`, () => {
      const check = new DownloadCheck(header);
      check.update(Buffer.from('hello, World'));
      assert.throws(
        () => check.verify('get x'),
        (e: unknown) => e instanceof CascadeError && e.code === 'UNAVAILABLE' && e.retryable,
      );
    });
  }

  it('checks nothing without hashes', () => {
    const check = new DownloadCheck(undefined);
    check.update(data);
    check.verify('get x');
  });
});
