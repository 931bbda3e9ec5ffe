import type { AvroRecord } from './record-format.ts';
import { RECORD_SCHEMA } from './record-format.ts';
import { corrupt, decodeRecord } from './segment-container.ts';

/**
 * A decoder for exactly {@link RECORD_SCHEMA}'s binary encoding (Avro spec
 * 1.11, "Binary Encoding"), for the read path only. avsc copies every `bytes`
 * value into a fresh buffer; for payload-sized records that allocation
 * dominates a scan. This decoder returns `data` as a view of the read buffer
 * instead. Field order and encodings:
 *
 *   subscription_name  string   long length + UTF-8
 *   message_id         string
 *   publish_time       long     zigzag varint
 *   attributes         map      blocks: long count (negative: -count, then
 *                               long byte size), count × (string, string);
 *                               a count of 0 ends the map
 *   data               bytes    long length + bytes
 *   offset             long
 *   ordering_key       string
 *   ingest_time        long
 *   delivery_attempt   union    long branch: 0 = null, 1 = int
 *
 * If the schema ever changes from this shape, {@link decodeRecordView} falls
 * back to avsc, so a schema edit can cost speed but never correctness.
 */
const EXPECTED = [
  'subscription_name:string',
  'message_id:string',
  'publish_time:long',
  'attributes:map',
  'data:bytes',
  'offset:long',
  'ordering_key:string',
  'ingest_time:long',
  'delivery_attempt:union',
].join(',');

const shape = RECORD_SCHEMA.fields
  .map((f) => {
    const t = f.type as unknown;
    const kind =
      typeof t === 'string' ? t : Array.isArray(t) ? 'union' : (t as { type: string }).type;
    return `${f.name}:${kind}`;
  })
  .join(',');
const unionIsNullInt =
  JSON.stringify(RECORD_SCHEMA.fields[8]?.type) === JSON.stringify(['null', 'int']);
const FAST = shape === EXPECTED && unionIsNullInt;

/** Decodes one record at `pos` of `buf`, with `data` a view into `buf`. */
export function decodeRecordView(
  buf: Buffer,
  pos: number,
  label: string,
): { value: AvroRecord; next: number } {
  if (!FAST) return decodeRecord(buf, pos, label);
  const r = new Reader(buf, pos, label);
  const subscription_name = r.string();
  const message_id = r.string();
  const publish_time = r.long();
  const attributes: Record<string, string> = {};
  for (let count = r.long(); count !== 0; count = r.long()) {
    if (count < 0) {
      count = -count;
      r.long(); // byte size of the block, not needed
    }
    for (let i = 0; i < count; i++) {
      const key = r.string();
      attributes[key] = r.string();
    }
  }
  const data = r.bytes();
  const offset = r.long();
  const ordering_key = r.string();
  const ingest_time = r.long();
  const branch = r.long();
  if (branch !== 0 && branch !== 1) r.fail(`union branch ${branch}`);
  const delivery_attempt = branch === 1 ? r.long() : null;
  return {
    value: {
      subscription_name,
      message_id,
      publish_time,
      attributes,
      data,
      offset,
      ordering_key,
      ingest_time,
      delivery_attempt,
    },
    next: r.pos,
  };
}

class Reader {
  buf: Buffer;
  pos: number;
  label: string;
  start: number;

  constructor(buf: Buffer, pos: number, label: string) {
    this.buf = buf;
    this.pos = pos;
    this.start = pos;
    this.label = label;
  }

  fail(what: string): never {
    throw corrupt(`${this.label}: record at byte ${this.start}: ${what}`);
  }

  /** Zigzag varint; like avsc, values are exact up to ±2^52. */
  long(): number {
    const buf = this.buf;
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= buf.length) this.fail('truncated');
      const byte = buf[this.pos++]!;
      result += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) {
        if (result > 2 ** 53) this.fail('integer too large');
        // zigzag: even → n/2, odd → -(n+1)/2
        return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
      }
      scale *= 128;
    }
    return this.fail('varint too long');
  }

  #length(): number {
    const length = this.long();
    if (length < 0 || this.pos + length > this.buf.length) this.fail(`bad length ${length}`);
    return length;
  }

  string(): string {
    const length = this.#length();
    const value = this.buf.toString('utf8', this.pos, this.pos + length);
    this.pos += length;
    return value;
  }

  bytes(): Buffer {
    const length = this.#length();
    const value = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return value;
  }
}
