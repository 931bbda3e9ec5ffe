import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { createEmulatorClock } from '../../../src/local/pubsub-emulator/clock.ts';
import { toGrpcStatus } from '../../../src/local/pubsub-emulator/errors.ts';
import { paginate } from '../../../src/local/pubsub-emulator/pagination.ts';
import { snapshotExpiry } from '../../../src/local/pubsub-emulator/snapshots.ts';
import type { SubscriptionResource } from '../../../src/local/pubsub-emulator/types.ts';
import {
  checkPublish,
  normalizeSubscription,
} from '../../../src/local/pubsub-emulator/validation.ts';

const codeOf = (fn: () => unknown): number | undefined => {
  try {
    fn();
    return undefined;
  } catch (error) {
    return toGrpcStatus(error).code;
  }
};

describe('emulator clock', () => {
  it('follows the wall clock plus every advance and notifies listeners', () => {
    let wall = 1000;
    const clock = createEmulatorClock(() => wall);
    let notified = 0;
    clock.onAdvance(() => notified++);
    clock.advance(500);
    wall = 1100;
    assert.equal(clock.now(), 1600);
    assert.equal(notified, 1);
    assert.throws(() => clock.advance(-1), RangeError);
  });
});

describe('snapshot expiry', () => {
  it('is seven days after the oldest unacked message, or after now when none', () => {
    const day = 86_400_000;
    assert.equal(snapshotExpiry(10 * day, 12 * day), 17 * day);
    assert.equal(snapshotExpiry(undefined, 12 * day), 19 * day);
  });
});

describe('pagination', () => {
  it('walks a list in pages and refuses a forged token', () => {
    const items = Array.from({ length: 5 }, (_, i) => i);
    const first = paginate(items, 2, undefined);
    const second = paginate(items, 2, first.nextPageToken);
    const last = paginate(items, 2, second.nextPageToken);
    assert.deepEqual([first.items, second.items, last.items], [[0, 1], [2, 3], [4]]);
    assert.equal(last.nextPageToken, '');
    assert.equal(
      codeOf(() => paginate(items, 2, Buffer.from('-3').toString('base64url'))),
      status.INVALID_ARGUMENT,
    );
  });
});

describe('subscription validation', () => {
  const base: SubscriptionResource = {
    name: 'projects/p/subscriptions/sub',
    topic: 'projects/p/topics/t',
  };
  const cases: [string, SubscriptionResource, number | undefined][] = [
    ['defaults', base, undefined],
    ['ack deadline too long', { ...base, ackDeadlineSeconds: 601 }, status.INVALID_ARGUMENT],
    ['ack deadline too short', { ...base, ackDeadlineSeconds: 5 }, status.INVALID_ARGUMENT],
    [
      'retention too short',
      { ...base, messageRetentionDuration: { seconds: 60 } },
      status.INVALID_ARGUMENT,
    ],
    [
      'retention of 31 days',
      { ...base, messageRetentionDuration: { seconds: 31 * 86400 } },
      undefined,
    ],
    [
      'dead letter attempts',
      {
        ...base,
        deadLetterPolicy: { deadLetterTopic: 'projects/p/topics/d', maxDeliveryAttempts: 4 },
      },
      status.INVALID_ARGUMENT,
    ],
    [
      'backoff over 600s',
      { ...base, retryPolicy: { minimumBackoff: { seconds: 601 } } },
      status.INVALID_ARGUMENT,
    ],
    [
      'push endpoint not a URL',
      { ...base, pushConfig: { pushEndpoint: 'not a url' } },
      status.INVALID_ARGUMENT,
    ],
    ['bad name', { ...base, name: 'projects/p/subscriptions/x' }, status.INVALID_ARGUMENT],
  ];
  for (const [title, resource, expected] of cases) {
    it(title, () =>
      assert.equal(
        codeOf(() => normalizeSubscription(resource)),
        expected,
      ),
    );
  }

  it('fills the defaults the real service reports', () => {
    const sub = normalizeSubscription(base);
    assert.equal(sub.ackDeadlineSeconds, 10);
    assert.equal(sub.messageRetentionDuration?.seconds, String(7 * 86400));
    assert.equal(sub.expirationPolicy?.ttl?.seconds, String(31 * 86400));
    assert.deepEqual(sub.pushConfig, {});
    assert.equal(sub.state, 'ACTIVE');
  });
});

describe('publish validation', () => {
  const cases: [string, Parameters<typeof checkPublish>[0], number | undefined][] = [
    ['one message', [{ data: Buffer.from('x') }], undefined],
    ['attributes only', [{ attributes: { a: 'b' } }], undefined],
    ['no messages', [], status.INVALID_ARGUMENT],
    ['empty message', [{ data: Buffer.alloc(0) }], status.INVALID_ARGUMENT],
    ['reserved attribute', [{ attributes: { googThing: 'x' } }], status.INVALID_ARGUMENT],
    ['long attribute value', [{ attributes: { a: 'x'.repeat(1025) } }], status.INVALID_ARGUMENT],
    [
      'long ordering key',
      [{ data: Buffer.from('x'), orderingKey: 'k'.repeat(1025) }],
      status.INVALID_ARGUMENT,
    ],
    ['too large', [{ data: Buffer.alloc(10 * 1024 * 1024 + 1) }], status.INVALID_ARGUMENT],
  ];
  for (const [title, messages, expected] of cases) {
    it(title, () =>
      assert.equal(
        codeOf(() => checkPublish(messages)),
        expected,
      ),
    );
  }
});
