import assert from 'node:assert/strict';
import { it } from 'node:test';
import { CascadeError } from '../../../src/errors.ts';
import type { SnapshotInfo, SubscriptionAdmin } from '../../../src/replay/index.ts';
import { rotateSnapshots, rotationSnapshotName } from '../../../src/scheduler/index.ts';

const SUB = 'projects/p/subscriptions/orders';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function fakeAdmin(now: () => number) {
  const snapshots = new Map<string, SnapshotInfo>();
  let refuse = false;
  const admin: SubscriptionAdmin = {
    describe: async () => ({
      name: SUB,
      topic: 'projects/p/topics/t',
      retentionMs: 7 * DAY,
      retainAckedMessages: true,
    }),
    seekToTime: async () => {},
    seekToSnapshot: async () => {},
    listSnapshots: async () => [...snapshots.values()],
    createSnapshot: async (name) => {
      if (refuse)
        throw new CascadeError('PRECONDITION_FAILED', 'less than an hour left', {
          retryable: false,
        });
      if (snapshots.has(name))
        throw new CascadeError('PRECONDITION_FAILED', 'exists', { retryable: false });
      const info = { name, topic: 'projects/p/topics/t', expireTime: new Date(now() + 7 * DAY) };
      snapshots.set(name, info);
      return info;
    },
    deleteSnapshot: async (name) => {
      snapshots.delete(name);
    },
  };
  return { admin, snapshots, setRefuse: (v: boolean) => (refuse = v) };
}

it('rotation creates on the interval, deletes before expiry, and leaves foreign snapshots alone', async () => {
  // Prepare
  let now = Date.UTC(2026, 10, 1);
  const { admin, snapshots } = fakeAdmin(() => now);
  snapshots.set('projects/p/snapshots/hand-made', {
    name: 'projects/p/snapshots/hand-made',
    topic: 'projects/p/topics/t',
    expireTime: new Date(now + HOUR),
  });
  const policy = { subscriptions: [SUB], intervalMs: 6 * HOUR, deleteBeforeExpiryMs: 2 * HOUR };
  const rotate = () => rotateSnapshots({ admin, policy, clock: () => now });
  // Act / Assess: first pass creates one.
  const first = await rotate();
  assert.deepEqual(first.created, [rotationSnapshotName(SUB, now)]);
  // Within the interval: nothing new.
  now += 5 * HOUR;
  assert.deepEqual((await rotate()).created, []);
  // Past the interval: a second one.
  now += 2 * HOUR;
  assert.equal((await rotate()).created.length, 1);
  // Seven days on, the first is within two hours of expiry and goes; a new one is made.
  now = Date.UTC(2026, 10, 1) + 7 * DAY - HOUR;
  const late = await rotate();
  assert.deepEqual(late.deleted, [rotationSnapshotName(SUB, Date.UTC(2026, 10, 1))]);
  assert.equal(late.created.length, 1);
  assert.ok(snapshots.has('projects/p/snapshots/hand-made'), 'not ours: untouched');
});

it('a refused snapshot (under an hour left) is reported, not thrown', async () => {
  const now = Date.UTC(2026, 10, 1);
  const { admin, setRefuse } = fakeAdmin(() => now);
  setRefuse(true);
  const result = await rotateSnapshots({
    admin,
    policy: { subscriptions: [SUB], intervalMs: HOUR, deleteBeforeExpiryMs: HOUR },
    clock: () => now,
  });
  assert.deepEqual(result.created, []);
  assert.equal(result.refused.length, 1);
  assert.equal(result.refused[0]!.subscription, SUB);
});
