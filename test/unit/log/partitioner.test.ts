import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type LogMessage, partitionFor, partitionKeyOf } from '../../../src/log/index.ts';

// Pinned forever: changing any row means a redelivered message could land in
// a different partition than its first copy. Hashes are FNV-1a 32-bit of the
// UTF-8 bytes (the first three rows are the algorithm's published vectors).
const TABLE: [key: string, partitions: number, hash: number, partition: number][] = [
  ['', 4, 0x811c9dc5, 1],
  ['a', 4, 0xe40c292c, 0],
  ['foobar', 4, 0xbf9cf968, 0],
  ['customer-42', 4, 0xfe68adbe, 2],
  ['customer-42', 16, 0xfe68adbe, 14],
  ['order-1', 4, 0x2b7fcd6d, 1],
  ['order-2', 4, 0x287fc8b4, 0],
  ['órdén-ß', 8, 0xabdb5fb2, 2],
  ['🙂', 3, 0x57a37a4b, 0],
  ['projects/p/messages/123456789', 7, 0x56ac8c95, 5],
  ['x'.repeat(100), 1000, 0xac246ad5, 797],
];

function message(overrides: Partial<LogMessage>): LogMessage {
  return {
    messageId: 'id-1',
    publishTimeMicros: 0,
    orderingKey: '',
    attributes: {},
    data: new Uint8Array(),
    subscription: 'projects/p/subscriptions/s',
    deliveryAttempt: null,
    ...overrides,
  };
}

describe('partitionFor', () => {
  for (const [key, partitions, hash, partition] of TABLE) {
    it(`pins ${JSON.stringify(key.slice(0, 20))} to ${partition} of ${partitions}`, () => {
      // Assess: the row's partition is its hash mod the count, and the function agrees.
      assert.equal(hash % partitions, partition);
      assert.equal(partitionFor(key, partitions), partition);
    });
  }

  it('rejects a partition count that is not a positive integer', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      assert.throws(() => partitionFor('k', bad), { code: 'INVALID_ARGUMENT' });
    }
  });
});

describe('partitionKeyOf', () => {
  const cases: [string, LogMessage, string | undefined, string][] = [
    [
      'ordering key first',
      message({ orderingKey: 'ok', attributes: { tenant: 't' } }),
      'tenant',
      'ok',
    ],
    ['then the attribute', message({ attributes: { tenant: 't' } }), 'tenant', 't'],
    ['then the message id (attribute absent)', message({ attributes: {} }), 'tenant', 'id-1'],
    [
      'then the message id (no attribute set)',
      message({ attributes: { tenant: 't' } }),
      undefined,
      'id-1',
    ],
  ];
  for (const [name, input, attribute, expected] of cases) {
    it(name, () => assert.equal(partitionKeyOf(input, attribute), expected));
  }
});
