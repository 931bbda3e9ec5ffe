import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decodeDataObject,
  decodeHeader,
  decodeObjectMetadata,
  encodeDataObject,
  encodeObjectMetadata,
  type LogRecord,
} from '../../../src/log/index.ts';

function record(offset: number, overrides: Partial<LogRecord> = {}): LogRecord {
  return {
    offset,
    messageId: `msg-${offset}`,
    publishTimeMicros: 1_700_000_000_123_456 + offset,
    ingestTimeMicros: 1_700_000_001_000_000,
    orderingKey: offset % 2 ? 'key-a' : '',
    attributes: { n: String(offset), ünïcode: '✓' },
    data: Buffer.from(`payload ${offset}`),
    subscription: 'projects/p/subscriptions/s',
    deliveryAttempt: offset % 3 === 0 ? null : offset,
    ...overrides,
  };
}

async function* chunksOf(bytes: Uint8Array, size: number) {
  for (let i = 0; i < bytes.byteLength; i += size) yield bytes.subarray(i, i + size);
}

async function decodeAll(bytes: Uint8Array, chunkSize = 997): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  for await (const r of decodeDataObject(chunksOf(bytes, chunkSize))) out.push(r);
  return out;
}

function plain(r: LogRecord) {
  return { ...r, data: Buffer.from(r.data).toString('hex') };
}

describe('data object format', () => {
  it('round-trips records, streamed in small chunks', async () => {
    // Prepare
    const records = [
      record(10),
      record(11, { data: new Uint8Array(), attributes: {} }),
      record(12, { data: Buffer.alloc(200_000, 7), messageId: 'x'.repeat(300) }),
      record(13, { orderingKey: 'ключ', deliveryAttempt: 2 ** 31 - 1 }),
    ];
    // Act
    const { bytes, headerBytes } = await encodeDataObject(records, 'batch-1');
    const decoded = await decodeAll(bytes);
    // Assess
    assert.deepEqual(decoded.map(plain), records.map(plain));
    const header = decodeHeader(bytes.subarray(0, headerBytes));
    assert.deepEqual(header, {
      batchId: 'batch-1',
      messageIds: records.map((r) => r.messageId),
      headerBytes,
    });
    assert.equal(bytes.subarray(0, 4).toString('latin1'), 'Obj\x01');
  });

  it('says a header is incomplete rather than guessing', async () => {
    const { bytes, headerBytes } = await encodeDataObject([record(0)], 'b');
    assert.equal(decodeHeader(bytes.subarray(0, headerBytes - 1)), undefined);
  });

  const corrupt: [string, (bytes: Buffer) => Uint8Array, string][] = [
    ['bad magic', (b) => Buffer.concat([Buffer.from('Obj\x02'), b.subarray(4)]), 'CORRUPT_DATA'],
    ['truncated body', (b) => b.subarray(0, b.byteLength - 20), 'CORRUPT_DATA'],
    ['not Avro at all', () => Buffer.from('hello, world, this is not avro'), 'CORRUPT_DATA'],
    [
      'unknown version',
      (b) => {
        const i = b.indexOf('cascade.version');
        const copy = Buffer.from(b);
        // The value follows its key and a one-byte length: "1" -> "9".
        copy[i + 'cascade.version'.length + 1] = '9'.charCodeAt(0);
        return copy;
      },
      'UNSUPPORTED_VERSION',
    ],
  ];
  for (const [name, damage, code] of corrupt) {
    it(`rejects ${name} with ${code}`, async () => {
      const { bytes } = await encodeDataObject([record(0), record(1)], 'b');
      await assert.rejects(decodeAll(damage(bytes)), { code });
    });
  }

  it('rejects a record that does not fit the schema', async () => {
    const bad = record(0, { publishTimeMicros: 1.5 });
    await assert.rejects(encodeDataObject([bad], 'b'), { code: 'INVALID_ARGUMENT' });
  });
});

describe('object metadata', () => {
  const meta = {
    baseOffset: 42,
    recordCount: 7,
    minPublishTimeMicros: 1,
    maxPublishTimeMicros: 1_700_000_000_000_000,
    ingestTimeMicros: 1_700_000_000_000_001,
    headerBytes: 900,
    batchId: 'abc',
  };

  it('round-trips', () => {
    assert.deepEqual(decodeObjectMetadata('n', encodeObjectMetadata(meta)), meta);
  });

  const cases: [string, Record<string, string>, string][] = [
    [
      'unknown version',
      { ...encodeObjectMetadata(meta), 'cascade-version': '2' },
      'UNSUPPORTED_VERSION',
    ],
    [
      'missing count',
      { ...encodeObjectMetadata(meta), 'cascade-record-count': '' },
      'CORRUPT_DATA',
    ],
    [
      'negative base',
      { ...encodeObjectMetadata(meta), 'cascade-base-offset': '-1' },
      'CORRUPT_DATA',
    ],
    ['no metadata', {}, 'UNSUPPORTED_VERSION'],
  ];
  for (const [name, input, code] of cases) {
    it(`rejects ${name}`, () => assert.throws(() => decodeObjectMetadata('n', input), { code }));
  }
});
