import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EndTracker } from '../../../src/local/stack/index.ts';
import {
  type LogMessage,
  LogReader,
  StreamWriter,
  streamSettings,
} from '../../../src/log/index.ts';
import { MemoryStore } from '../../../src/storage/index.ts';

function message(i: number): LogMessage {
  return {
    messageId: `m${i}`,
    publishTimeMicros: 1_700_000_000_000_000 + i,
    orderingKey: `k${i % 5}`,
    attributes: {},
    data: new Uint8Array([i & 0xff]),
    subscription: 'projects/p/subscriptions/s',
    deliveryAttempt: null,
  };
}

describe('EndTracker', () => {
  it('follows each partition end across refreshes, as the log reader sees it', async () => {
    // Prepare
    const store = new MemoryStore();
    const stream = streamSettings({ name: 'demo', prefix: 'c/', partitions: 3, lingerMs: 1 });
    const writer = new StreamWriter({ store, stream });
    const tracker = new EndTracker(store, stream);
    const reader = new LogReader({ store, stream });
    assert.deepEqual(await tracker.refresh(), [0, 0, 0]);
    for (const round of [40, 25]) {
      // Act
      const start = (await tracker.refresh()).reduce((a, b) => a + b, 0);
      await Promise.all(Array.from({ length: round }, (_, i) => writer.append(message(start + i))));
      const ends = await tracker.refresh();
      // Assess
      const expected = [];
      for (let p = 0; p < 3; p++) expected.push((await reader.offsets(p)).end);
      assert.deepEqual(ends, expected);
      assert.equal(
        ends.reduce((a, b) => a + b, 0),
        start + round,
      );
    }
    await writer.close();
  });
});
