import assert from 'node:assert/strict';
import { it } from 'node:test';
import { startSchedulerTimer } from '../../../src/scheduler/index.ts';

it('the local scheduler timer never overlaps ticks, survives a failing one, and stops', async () => {
  // Prepare
  let active = 0;
  let maxActive = 0;
  let calls = 0;
  const tick = async () => {
    calls++;
    active++;
    maxActive = Math.max(maxActive, active);
    await new Promise((resolve) => setTimeout(resolve, 15));
    active--;
    if (calls === 2) throw new Error('a failing tick');
  };
  // Act
  const timer = startSchedulerTimer(tick, 1);
  for (let i = 0; i < 200 && calls < 5; i++)
    await new Promise((resolve) => setTimeout(resolve, 10));
  await timer.stop();
  const after = calls;
  await new Promise((resolve) => setTimeout(resolve, 50));
  // Assess
  assert.ok(after >= 5, `only ${after} ticks`);
  assert.equal(maxActive, 1);
  assert.equal(calls, after, 'no tick after stop');
});
