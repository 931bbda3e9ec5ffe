import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { STREAM_DEFAULTS, streamSettings } from '../../../src/log/index.ts';

describe('streamSettings', () => {
  it('fills in the defaults', () => {
    const s = streamSettings({ name: 'orders', prefix: 'cascade/', partitions: 4 });
    assert.equal(s.lingerMs, STREAM_DEFAULTS.lingerMs);
    assert.equal(s.maxBatchBytes, 8 * 1024 * 1024);
    assert.equal(s.maxBatchRecords, 10_000);
    assert.equal(s.dedupWindowMs, 600_000);
    assert.deepEqual(s.partitionKey, {});
  });

  const bad: [string, Record<string, unknown>][] = [
    ['upper-case name', { name: 'Orders' }],
    ['prefix without slash', { prefix: 'cascade' }],
    ['zero partitions', { partitions: 0 }],
    ['fractional batch', { maxBatchRecords: 1.5 }],
    ['negative linger', { lingerMs: -1 }],
    ['pending bound below a batch', { maxPendingBytes: 10, maxBatchBytes: 100 }],
  ];
  for (const [name, override] of bad) {
    it(`rejects ${name}`, () => {
      const input = { name: 'orders', prefix: '', partitions: 4, ...override };
      assert.throws(() => streamSettings(input as Parameters<typeof streamSettings>[0]), {
        code: 'INVALID_CONFIG',
      });
    });
  }

  it('lists every problem at once', () => {
    assert.throws(
      () => streamSettings({ name: 'A', prefix: 'x', partitions: 0 }),
      (error: Error & { details: { problems: string[] } }) => error.details.problems.length === 3,
    );
  });
});
