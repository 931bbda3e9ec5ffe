import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import avsc from 'avsc';
import { hasCode } from '../../../src/errors.ts';
import { decodeRecordView } from '../../../src/log/record-decoder.ts';
import { type AvroRecord, recordType } from '../../../src/log/record-format.ts';
import { prng } from '../../support/segment-fixtures.ts';

const str = avsc.Type.forSchema('string');
const long = avsc.Type.forSchema('long');
const bytes = avsc.Type.forSchema('bytes');

function plain(value: AvroRecord) {
  return {
    ...value,
    attributes: { ...value.attributes },
    data: Buffer.from(value.data).toString('hex'),
  };
}

describe('record decoder (read path)', () => {
  it('decodes exactly what avsc decodes, with data as a view', () => {
    // Prepare
    const random = prng(17);
    const texts = ['', 'a', 'é漢字🙂', 'x'.repeat(300), 'projects/p/subscriptions/s'];
    const pick = <T>(items: T[]) => items[Math.floor(random() * items.length)]!;
    const values: AvroRecord[] = Array.from({ length: 300 }, (_, i) => ({
      subscription_name: pick(texts),
      message_id: `${i}-${pick(texts)}`,
      publish_time: pick([0, -1, 1_700_000_000_123_456, 2 ** 52, -(2 ** 40)]),
      attributes: Object.fromEntries(
        Array.from({ length: Math.floor(random() * 4) }, (_, k) => [
          `k${k}${pick(texts)}`,
          pick(texts),
        ]),
      ),
      data: Buffer.from(
        Array.from({ length: Math.floor(random() * 600) }, () => Math.floor(random() * 256)),
      ),
      offset: pick([0, i, 2 ** 31, 2 ** 32 + 5, 2 ** 52]),
      ordering_key: pick(texts),
      ingest_time: pick([0, 1_700_000_000_000_000]),
      delivery_attempt: pick([null, 1, 2 ** 31 - 1, -5]),
    }));
    const encoded = Buffer.concat(values.map((v) => recordType.toBuffer(v)));

    // Act + Assess
    let pos = 0;
    for (const expected of values) {
      const fast = decodeRecordView(encoded, pos, 't');
      const reference = recordType.decode(encoded, pos);
      assert.equal(fast.next, reference.offset);
      assert.deepEqual(plain(fast.value), plain(reference.value as AvroRecord));
      assert.deepEqual(plain(fast.value), plain(expected));
      assert.equal(fast.value.data.buffer, encoded.buffer, 'data is a view, not a copy');
      pos = fast.next;
    }
    assert.equal(pos, encoded.byteLength);
  });

  it('reads map blocks with negative counts (the spec allows them)', () => {
    // Prepare: a map written as one block of -2 entries with its byte size.
    const entries = Buffer.concat([
      str.toBuffer('a'),
      str.toBuffer('1'),
      str.toBuffer('b'),
      str.toBuffer('2'),
    ]);
    const record = Buffer.concat([
      str.toBuffer('sub'),
      str.toBuffer('id'),
      long.toBuffer(5),
      long.toBuffer(-2),
      long.toBuffer(entries.byteLength),
      entries,
      long.toBuffer(0),
      bytes.toBuffer(Buffer.from('hi')),
      long.toBuffer(7),
      str.toBuffer(''),
      long.toBuffer(9),
      long.toBuffer(0),
    ]);

    // Act
    const { value, next } = decodeRecordView(record, 0, 't');

    // Assess
    assert.equal(next, record.byteLength);
    assert.deepEqual(value.attributes, { a: '1', b: '2' });
    assert.deepEqual(plain(value), plain(recordType.decode(record, 0).value as AvroRecord));
  });

  it('rejects truncated or malformed records with CORRUPT_DATA', () => {
    // Prepare
    const good = recordType.toBuffer({
      subscription_name: 's',
      message_id: 'm',
      publish_time: 1,
      attributes: { k: 'v' },
      data: Buffer.from('payload'),
      offset: 3,
      ordering_key: '',
      ingest_time: 2,
      delivery_attempt: 1,
    });
    const badBranch = Buffer.from(good);
    badBranch[badBranch.byteLength - 2] = 4; // union branch 2

    // Act + Assess
    for (let cut = 0; cut < good.byteLength; cut++) {
      assert.throws(
        () => decodeRecordView(good.subarray(0, cut), 0, 't'),
        (e: unknown) => hasCode(e, 'CORRUPT_DATA'),
        `cut at ${cut}`,
      );
    }
    assert.throws(
      () => decodeRecordView(badBranch, 0, 't'),
      (e: unknown) => hasCode(e, 'CORRUPT_DATA'),
    );
  });
});
