import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CascadeError } from '../../../src/errors.ts';
import {
  MAX_NAME_BYTES,
  validateNamePrefix,
  validateObjectName,
} from '../../../src/storage/index.ts';

describe('validateObjectName', () => {
  const valid = [
    'a',
    'a/b/c',
    'streams/orders/p0/00000000000000000000.avro',
    'with space',
    'dots.in.names',
    '...',
    'a/.../b',
    '.hidden',
    'a/.b',
    'ünïcödé/日本/😀',
    'x'.repeat(MAX_NAME_BYTES),
    `${'é'.repeat(511)}ab`,
  ];
  for (const name of valid) {
    it(`accepts ${JSON.stringify(name.slice(0, 30))}`, () => {
      validateObjectName(name);
    });
  }

  const invalid: [unknown, RegExp][] = [
    ['', /empty/],
    ['.', /"\." segment/],
    ['..', /"\.\." segment/],
    ['a/../b', /"\.\." segment/],
    ['a/./b', /"\." segment/],
    ['/abs', /start with "\/"/],
    ['a/', /end with "\/"/],
    ['a//b', /empty segment/],
    ['nul\u0000', /control character/],
    ['cr\r', /control character/],
    ['lf\n', /control character/],
    ['del\u007f', /control character/],
    ['back\\slash', /backslash/],
    ['x'.repeat(MAX_NAME_BYTES + 1), /longer than/],
    ['é'.repeat(513), /longer than/],
    ['\ud800', /not valid Unicode/],
    [42, /must be a string/],
    [null, /must be a string/],
    [undefined, /must be a string/],
  ];
  for (const [name, reason] of invalid) {
    it(`rejects ${typeof name === 'string' ? JSON.stringify(name.slice(0, 20)) : String(name)}`, () => {
      assert.throws(
        () => validateObjectName(name),
        (error: unknown) =>
          error instanceof CascadeError &&
          error.code === 'INVALID_NAME' &&
          reason.test(error.message) &&
          !error.retryable,
      );
    });
  }
});

describe('validateNamePrefix', () => {
  it('accepts empty and trailing-slash prefixes', () => {
    validateNamePrefix('', 'prefix');
    validateNamePrefix('a/', 'prefix');
    validateNamePrefix('a/b', 'prefix');
  });
  for (const prefix of ['/a', 'a//', '../', 'a/../', 'nul\u0000', 7]) {
    it(`rejects ${JSON.stringify(prefix)}`, () => {
      assert.throws(
        () => validateNamePrefix(prefix, 'prefix'),
        (e: unknown) => e instanceof CascadeError && e.code === 'INVALID_NAME',
      );
    });
  }
});
