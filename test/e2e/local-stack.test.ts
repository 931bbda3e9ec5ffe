// End to end: `npm start` as a user runs it, the official Pub/Sub client
// publishing to its emulator, push into the ingest process, and the log read
// back from the data folder with the api's reader. Then the ingest process is
// SIGKILLed mid-stream; the stack restarts it, and nothing acknowledged may be
// lost or stored twice. Finally Ctrl-C (SIGINT to the process group) must
// flush and exit 0.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PubSub } from '@google-cloud/pubsub';
import type { EndTracker } from '../../src/local/stack/index.ts';
import type { LogReader, LogRecord } from '../../src/log/index.ts';
import { FsStore } from '../../src/storage/index.ts';
import {
  countRecords,
  endTracker,
  logReader,
  publishBatch,
  readPartitions,
  type SentMessage,
  waitForRecords,
} from '../support/e2e-log.ts';
import { type StackProcess, startStackProcess } from '../support/e2e-stack.ts';

// The official client asks the GCE metadata server for its universe domain even
// against an emulator; there is none here.
process.env.METADATA_SERVER_DETECTION ??= 'none';

const PROJECT = 'cascade-e2e';
const STREAM = 'demo';
const TOPIC = 'demo';
const SUBSCRIPTION = `projects/${PROJECT}/subscriptions/demo-push`;
const PARTITIONS = 4;
const FIRST = 20_000;
const SECOND = 6000;
const KEYS = 200;

/** Temp files of the filesystem store (`.tmp-*`), anywhere under the data folder. */
async function tempFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true });
  return entries.filter((name) => /(^|\/)\.tmp-/.test(name)).sort();
}

/**
 * Checks the whole log against what was published: dense offsets from 0 in
 * every partition, every record equal to its message, each message id exactly
 * once, every published message present, and each key's messages in one
 * partition in publish order.
 */
function checkLog(partitions: LogRecord[][], sent: Map<string, SentMessage>): void {
  const seen = new Set<string>();
  const lastSeqOfKey = new Map<string, { partition: number; order: number }>();
  partitions.forEach((records, partition) => {
    records.forEach((record, index) => {
      assert.equal(record.offset, index, `partition ${partition}: offsets are dense from 0`);
      assert.ok(!seen.has(record.messageId), `message ${record.messageId} stored twice`);
      seen.add(record.messageId);
      const message = sent.get(record.messageId);
      assert.ok(message, `record ${partition}/${record.offset} is no message we published`);
      assert.deepEqual(Buffer.from(record.data), message.data);
      assert.deepEqual(record.attributes, message.attributes);
      assert.equal(record.orderingKey, message.orderingKey);
      assert.equal(record.subscription, SUBSCRIPTION);
      if (message.orderingKey === '') return;
      // Batches are published one after the other, so (batch, seq) is publish order.
      const order =
        (message.attributes.batch === 'b1' ? 0 : 1) * 1e6 + Number(message.attributes.seq);
      const last = lastSeqOfKey.get(message.orderingKey);
      if (last !== undefined) {
        assert.equal(last.partition, partition, `key ${message.orderingKey} spans partitions`);
        assert.ok(
          order > last.order,
          `key ${message.orderingKey} out of order at ${partition}/${index}`,
        );
      }
      lastSeqOfKey.set(message.orderingKey, { partition, order });
    });
  });
  const missing = [...sent.keys()].filter((id) => !seen.has(id));
  assert.deepEqual(
    missing.slice(0, 10),
    [],
    `${missing.length} published messages are not in the log`,
  );
  assert.equal(seen.size, sent.size);
}

describe('npm start: the local stack end to end', { timeout: 300_000 }, () => {
  let dir: string;
  let stack: StackProcess;
  let pubsub: PubSub;
  let store: FsStore;
  let reader: LogReader;
  let tracker: EndTracker;
  const sent = new Map<string, SentMessage>();

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cascade-e2e-'));
    stack = await startStackProcess({
      dataDir: join(dir, 'data'),
      args: [`--project=${PROJECT}`, '--scheduler-interval=0'],
    });
    await stack.waitFor(/Cascade local stack is running\./, 90_000);
    pubsub = new PubSub({
      projectId: PROJECT,
      apiEndpoint: `127.0.0.1:${stack.ports.pubsub}`,
      emulatorMode: true,
    });
    store = new FsStore({ root: join(dir, 'data') });
    reader = logReader(store, STREAM, PARTITIONS);
    tracker = endTracker(store, STREAM, PARTITIONS);
  });

  after(async () => {
    stack?.kill();
    await pubsub?.close();
    await store?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('prints where everything runs and how to publish', () => {
    const text = stack.output();
    assert.match(
      text,
      new RegExp(`Pub/Sub +Cascade emulator at 127\\.0\\.0\\.1:${stack.ports.pubsub}`),
    );
    assert.match(text, new RegExp(`ingest +http://127\\.0\\.0\\.1:${stack.ports.ingest}/`));
    assert.match(text, new RegExp(`api +http://127\\.0\\.0\\.1:${stack.ports.api}/v1/streams`));
    assert.match(
      text,
      /with OIDC \(audience http:\/\/127\.0\.0\.1:\d+\/, cascade-push@cascade-e2e/,
    );
    assert.match(
      text,
      new RegExp(
        `PUBSUB_EMULATOR_HOST=127\\.0\\.0\\.1:${stack.ports.pubsub} METADATA_SERVER_DETECTION=none node -e`,
      ),
    );
  });

  it(`stores ${FIRST} published messages exactly as sent`, async () => {
    for (const message of await publishBatch(pubsub, TOPIC, {
      batch: 'b1',
      count: FIRST,
      keys: KEYS,
    })) {
      sent.set(message.id, message);
    }
    assert.equal(sent.size, FIRST);
    await waitForRecords(tracker, FIRST, 120_000);
    checkLog(await readPartitions(reader, PARTITIONS), sent);
  });

  it('loses and duplicates nothing when the ingest process is killed mid-stream', async () => {
    const before = stack.output().length;
    const firstPid = Number((stack.output().match(/ingest ready at \S+ \(pid (\d+)\)/) ?? [])[1]);
    assert.ok(firstPid > 0, 'the stack prints the ingest pid');
    const publishing = publishBatch(pubsub, TOPIC, { batch: 'b2', count: SECOND, keys: KEYS });
    // Kill once part of the second batch has landed and the rest is on its way.
    await waitForRecords(tracker, FIRST + 1000, 120_000);
    process.kill(firstPid, 'SIGKILL');
    await stack.waitFor(/ingest killed by SIGKILL; restarting/, 10_000, before);
    const back = await stack.waitFor(/ingest back at \S+ \(pid (\d+)\)/, 60_000, before);
    assert.notEqual(Number(back[1]), firstPid);
    for (const message of await publishing) sent.set(message.id, message);
    assert.equal(sent.size, FIRST + SECOND);
    await waitForRecords(tracker, FIRST + SECOND, 120_000);
    // Late redeliveries of messages stored before the kill must not add records.
    await new Promise((done) => setTimeout(done, 3000));
    assert.equal(await countRecords(tracker), FIRST + SECOND);
    checkLog(await readPartitions(reader, PARTITIONS), sent);
  });

  it('stops on Ctrl-C with exit code 0, flushing what is in flight', async () => {
    const tempBefore = await tempFiles(join(dir, 'data'));
    const publishing = publishBatch(pubsub, TOPIC, { batch: 'b3', count: 500, keys: KEYS });
    const total = FIRST + SECOND;
    await waitForRecords(tracker, total + 1, 60_000);
    stack.signalGroup('SIGINT');
    assert.equal(await stack.exited, 0, stack.output().slice(-3000));
    await publishing.catch(() => undefined);
    const text = stack.output();
    assert.match(text, /\[ingest\] function ingest stopped/);
    assert.match(text, /\[stack\] stopped/);
    // Nothing half-written: no new temp files, and every object decodes with dense offsets.
    assert.deepEqual(await tempFiles(join(dir, 'data')), tempBefore);
    const partitions = await readPartitions(reader, PARTITIONS);
    const ids = new Set<string>();
    for (const records of partitions) {
      records.forEach((record, index) => {
        assert.equal(record.offset, index);
        ids.add(record.messageId);
      });
    }
    assert.equal(
      ids.size,
      partitions.reduce((sum, records) => sum + records.length, 0),
    );
    assert.ok(ids.size > total);
  });
});
