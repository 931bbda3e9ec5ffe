import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CascadeError } from '../../../src/errors.ts';
import {
  validateData,
  validateDeleteOptions,
  validateGeneration,
  validateListOptions,
  validatePutOptions,
  validateSource,
} from '../../../src/storage/options.ts';

const rejects = (fn: () => void) =>
  assert.throws(
    fn,
    (e: unknown) => e instanceof CascadeError && e.code === 'INVALID_ARGUMENT' && !e.retryable,
  );

describe('storage option validation', () => {
  it('accepts the documented shapes', () => {
    validatePutOptions(undefined);
    validatePutOptions({});
    validatePutOptions({
      ifGenerationMatch: 0,
      metadata: { a: '', 'B-c': 'ü' },
      contentType: 'text/plain; charset=utf-8',
    });
    validateDeleteOptions({ ifGenerationMatch: 1_700_000_000_000_000 });
    validateListOptions({ prefix: 'a/', startOffset: 'a/b', endOffset: 'a/c', pageSize: 1 });
    validateGeneration(undefined);
    validateData(new Uint8Array(0));
    validateData(Buffer.from('x'));
    validateSource(async function* () {});
  });

  const bad: [string, () => void][] = [
    ['ifGenerationMatch -1', () => validateGeneration(-1)],
    ['ifGenerationMatch 2^53', () => validateGeneration(2 ** 53)],
    ['ifGenerationMatch "1"', () => validateGeneration('1')],
    ['ifGenerationMatch NaN', () => validateGeneration(Number.NaN)],
    ['put options null', () => validatePutOptions(null)],
    ['put options a string', () => validatePutOptions('x')],
    [
      'metadata an array',
      () => validatePutOptions({ metadata: ['a'] as unknown as Record<string, string> }),
    ],
    [
      'metadata value a number',
      () => validatePutOptions({ metadata: { a: 1 as unknown as string } }),
    ],
    ['metadata empty key', () => validatePutOptions({ metadata: { '': 'x' } })],
    ['metadata reserved key', () => validatePutOptions({ metadata: { 'cascade-write-id': 'x' } })],
    [
      'metadata reserved key, other case',
      () => validatePutOptions({ metadata: { 'Cascade-Replaces': 'x' } }),
    ],
    ['metadata key with LF', () => validatePutOptions({ metadata: { 'a\nb': 'x' } })],
    ['metadata over 8 KiB', () => validatePutOptions({ metadata: { a: 'x'.repeat(8 * 1024) } })],
    ['contentType empty', () => validatePutOptions({ contentType: '' })],
    ['contentType CR', () => validatePutOptions({ contentType: 'a\rb' })],
    ['data a string', () => validateData('abc')],
    ['data an array', () => validateData([1, 2])],
    ['data an ArrayBuffer', () => validateData(new ArrayBuffer(2))],
    ['source not a function', () => validateSource([Buffer.from('x')])],
    ['delete options null', () => validateDeleteOptions(null)],
    ['list pageSize 0', () => validateListOptions({ pageSize: 0 })],
    ['list pageSize 2.5', () => validateListOptions({ pageSize: 2.5 })],
  ];
  for (const [what, fn] of bad) it(`rejects ${what}`, () => rejects(fn));

  it('rejects hostile list bounds as names', () => {
    assert.throws(
      () => validateListOptions({ startOffset: '../x' }),
      (e: unknown) => e instanceof CascadeError && e.code === 'INVALID_NAME',
    );
  });
});
