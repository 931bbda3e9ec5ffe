import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { FsStore } from '../../../src/storage/index.ts';
import { fillPartition, recordAt, testStream } from '../../unit/replay/fixture.ts';

const WORKER = fileURLToPath(new URL('./api-server-worker.ts', import.meta.url));
const RECORDS = 1_000_000;
const HEAP_MB = 96;

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cascade-ndjson-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

it(`streams ${RECORDS} records as NDJSON from a ${HEAP_MB} MiB heap, in order and intact`, async (t) => {
  // Prepare
  const root = join(dir, 'store');
  const store = new FsStore({ root });
  await fillPartition(store, testStream('orders', 1), 0, RECORDS, { perObject: 10_000 });
  await store.close();
  const child = spawn(
    process.execPath,
    [`--max-old-space-size=${HEAP_MB}`, WORKER, JSON.stringify({ root, partitions: 1 })],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const kill = setTimeout(() => child.kill('SIGKILL'), 300_000);
  try {
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    const { port } = JSON.parse((await lines.next()).value as string) as { port: number };

    // Act: read the whole stream line by line, never holding it.
    const response = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
      get(
        {
          host: '127.0.0.1',
          port,
          path: `/v1/streams/orders/partitions/0/records?offset=0&limit=${RECORDS}`,
          headers: { accept: 'application/x-ndjson' },
        },
        resolve,
      ).on('error', reject);
    });
    assert.equal(response.statusCode, 200);
    let count = 0;
    let bytes = 0;
    for await (const line of createInterface({
      input: response,
      crlfDelay: Number.POSITIVE_INFINITY,
    })) {
      bytes += line.length + 1;
      // Every line's offset is checked; every 997th line is parsed and compared whole.
      const offset = /^\{"offset":(\d+),/.exec(line)?.[1];
      if (offset !== String(count)) assert.fail(`line ${count} has offset ${offset}`);
      if (count % 997 === 0) {
        const record = JSON.parse(line) as { offset: number; messageId: string; data: string };
        const want = recordAt(0, count);
        assert.equal(record.messageId, want.messageId);
        assert.equal(
          Buffer.from(record.data, 'base64').toString(),
          Buffer.from(want.data).toString(),
        );
      }
      count++;
    }
    child.stdin!.write('stats\n');
    const { maxHeap } = JSON.parse((await lines.next()).value as string) as { maxHeap: number };

    // Assess
    assert.equal(count, RECORDS);
    t.diagnostic(
      `${(bytes / 1048576).toFixed(0)} MiB streamed; server heap peak ${(maxHeap / 1048576).toFixed(0)} MiB`,
    );
    assert.ok(bytes > 2 * HEAP_MB * 1048576, 'the response is larger than the heap could hold');
    assert.ok(maxHeap < HEAP_MB * 1048576);
    await once(child, 'exit');
  } finally {
    clearTimeout(kill);
    child.kill('SIGKILL');
  }
});
