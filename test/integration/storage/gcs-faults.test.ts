// Fault handling of the Cloud Storage backend: a fault-injecting proxy sits
// between GcsStore and fake-gcs-server and answers 429/503, drops connections
// before forwarding, drops them AFTER the emulator committed a write, and cuts
// answers mid-body. The store must retry, and a write that really landed must
// be reported as a success exactly once.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { CascadeError } from '../../../src/errors.ts';
import { GcsStore, type GcsStoreOptions } from '../../../src/storage/index.ts';
import { type FakeGcs, startFakeGcs } from '../../support/fake-gcs.ts';
import {
  type FaultProxy,
  gcsRequests,
  mulberry32,
  startFaultProxy,
} from '../../support/fault-proxy.ts';
import { assertRejects, collect } from './conformance.ts';

describe('GcsStore through a fault-injecting proxy', () => {
  let gcs: FakeGcs;
  let proxy: FaultProxy;
  let bucket: string;
  let direct: GcsStore;
  let n = 0;
  const name = (what: string) => `faults/${what}-${++n}`;
  const viaProxy = (options: Partial<GcsStoreOptions> = {}) =>
    new GcsStore({
      bucket,
      apiEndpoint: proxy.url,
      ...options,
      retry: { initialDelayMs: 5, maxDelayMs: 50, random: mulberry32(n), ...options.retry },
    });

  before(async () => {
    gcs = await startFakeGcs();
    bucket = await gcs.newBucket('faults');
    proxy = await startFaultProxy({ target: gcs.endpoint, seed: 7 });
    direct = new GcsStore({ bucket, apiEndpoint: gcs.endpoint });
  });
  beforeEach(() => proxy.clearRules());
  after(async () => {
    await proxy?.close();
    await gcs?.stop();
  });

  it('retries 429 and 503 answers, then creates the object once', async () => {
    // Prepare
    const store = viaProxy();
    const key = name('throttled');
    const r429 = proxy.addRule({
      match: gcsRequests.create,
      action: { kind: 'status', status: 429 },
      times: 1,
    });
    const r503 = proxy.addRule({
      match: gcsRequests.create,
      action: { kind: 'status', status: 503 },
      times: 2,
    });
    // Act
    const { generation } = await store.put(key, Buffer.from('x'), { ifGenerationMatch: 0 });
    // Assess
    assert.deepEqual([r429.fired, r503.fired], [1, 2]);
    assert.equal(store.stats.retries, 3);
    assert.equal(store.stats.recoveredWrites, 0);
    assert.equal((await direct.head(key)).generation, generation);
  });

  it('retries a connection dropped before the request was forwarded', async () => {
    const store = viaProxy();
    const key = name('dropped-before');
    const rule = proxy.addRule({
      match: gcsRequests.create,
      action: { kind: 'drop-before-forward' },
      times: 2,
    });
    const { generation } = await store.put(key, Buffer.from('x'), { ifGenerationMatch: 0 });
    assert.equal(rule.fired, 2);
    assert.equal(store.stats.recoveredWrites, 0, 'nothing had landed, so nothing to recognise');
    assert.equal((await direct.head(key)).generation, generation);
  });

  it('reports a create whose answer was lost after the commit as one success; a racing writer loses', async () => {
    // Prepare: A's first create is committed by the emulator, but A never
    // hears back; A waits 300 ms before retrying, and B races in meanwhile.
    const a = viaProxy({ retry: { initialDelayMs: 300, maxDelayMs: 300 } });
    const b = viaProxy();
    const key = name('lost-create');
    const rule = proxy.addRule({
      match: gcsRequests.create,
      action: { kind: 'drop-after-forward' },
      times: 1,
    });
    const since = proxy.events.length;
    // Act
    const aResult = a.put(key, Buffer.from('from A'), { ifGenerationMatch: 0 });
    await until(
      () =>
        rule.fired === 1 &&
        proxy.events
          .slice(since)
          .some((e) => e.action === 'drop-after-forward' && e.status === 200),
    );
    const bResult = b.put(key, Buffer.from('from B'), { ifGenerationMatch: 0 });
    // Assess
    await assertRejects(bResult, 'PRECONDITION_FAILED', 'B');
    const { generation } = await aResult;
    assert.equal(a.stats.recoveredWrites, 1, 'A recognised its own write');
    const live = await direct.get(key);
    assert.equal(live.generation, generation);
    assert.equal(Buffer.from(live.bytes).toString(), 'from A');
    assert.deepEqual(live.metadata, {}, 'the write tags stay internal');
  });

  it('still reports PRECONDITION_FAILED when a retried create finds another writer’s object', async () => {
    const a = viaProxy({ retry: { initialDelayMs: 200, maxDelayMs: 200 } });
    const key = name('lost-race');
    const rule = proxy.addRule({
      match: gcsRequests.create,
      action: { kind: 'drop-before-forward' },
      times: 1,
    });
    const aResult = a.put(key, Buffer.from('from A'), { ifGenerationMatch: 0 });
    await until(() => rule.fired === 1);
    await direct.put(key, Buffer.from('from B'), { ifGenerationMatch: 0 });
    await assertRejects(aResult, 'PRECONDITION_FAILED', 'A');
    assert.equal(a.stats.recoveredWrites, 0);
    assert.equal(Buffer.from((await direct.get(key)).bytes).toString(), 'from B');
  });

  it('recognises a compare-and-swap replace whose answer was lost', async () => {
    const store = viaProxy();
    const key = name('lost-cas');
    const first = await store.put(key, Buffer.from('1'), { ifGenerationMatch: 0 });
    const rule = proxy.addRule({
      match: gcsRequests.replace,
      action: { kind: 'drop-after-forward' },
      times: 1,
    });
    const second = await store.put(key, Buffer.from('2'), { ifGenerationMatch: first.generation });
    assert.equal(rule.fired, 1);
    assert.equal(store.stats.recoveredWrites, 1);
    const live = await direct.get(key);
    assert.equal(live.generation, second.generation);
    assert.equal(Buffer.from(live.bytes).toString(), '2');
  });

  it('tells a lost replace that was replaced again (outcome unknown) from one that never landed', async () => {
    // A's replace lands, its answer is lost, and B replaces A's object before
    // A retries: A cannot know it landed, so it must not claim a conflict.
    const key = name('unknown');
    const base = await direct.put(key, Buffer.from('0'), { ifGenerationMatch: 0 });
    const a = viaProxy({ retry: { initialDelayMs: 300, maxDelayMs: 300 } });
    const lost = proxy.addRule({
      match: gcsRequests.replace,
      action: { kind: 'drop-after-forward' },
      times: 1,
    });
    const since = proxy.events.length;
    const aResult = a.put(key, Buffer.from('A'), { ifGenerationMatch: base.generation });
    await until(() =>
      proxy.events.slice(since).some((e) => e.action === 'drop-after-forward' && e.status === 200),
    );
    const landed = await direct.head(key);
    await direct.put(key, Buffer.from('B'), { ifGenerationMatch: landed.generation });
    await aResult.then(
      () => assert.fail('A cannot claim success'),
      (error: unknown) => {
        assert.ok(error instanceof CascadeError);
        assert.equal(error.code, 'UNAVAILABLE');
        assert.equal(error.details.outcome, 'unknown');
      },
    );
    assert.equal(lost.fired, 1);

    // A replace dropped before it reached the server, while B replaced the
    // same generation: the live object names that generation, so A never landed.
    const key2 = name('never-landed');
    const base2 = await direct.put(key2, Buffer.from('0'), { ifGenerationMatch: 0 });
    const a2 = viaProxy({ retry: { initialDelayMs: 200, maxDelayMs: 200 } });
    const dropped = proxy.addRule({
      match: gcsRequests.replace,
      action: { kind: 'drop-before-forward' },
      times: 1,
    });
    const a2Result = a2.put(key2, Buffer.from('A'), { ifGenerationMatch: base2.generation });
    await until(() => dropped.fired === 1);
    await direct.put(key2, Buffer.from('B'), { ifGenerationMatch: base2.generation });
    await assertRejects(a2Result, 'PRECONDITION_FAILED', 'A2');
  });

  it('reports a delete whose answer was lost as done', async () => {
    const store = viaProxy();
    const key = name('lost-delete');
    const { generation } = await store.put(key, Buffer.from('x'), { ifGenerationMatch: 0 });
    proxy.addRule({ match: gcsRequests.delete, action: { kind: 'drop-after-forward' }, times: 1 });
    await store.delete(key, { ifGenerationMatch: generation });
    await assertRejects(direct.head(key), 'NOT_FOUND');
    await assertRejects(
      store.delete(key),
      'NOT_FOUND',
      'a plain second delete still finds nothing',
    );
  });

  it('lands an unconditional put whose answer was lost exactly once', async () => {
    const store = viaProxy();
    const key = name('lost-plain');
    await direct.put(key, Buffer.from('old'));
    proxy.addRule({ match: gcsRequests.upload, action: { kind: 'drop-after-forward' }, times: 1 });
    const { generation } = await store.put(key, Buffer.from('new'));
    assert.equal(store.stats.recoveredWrites, 1);
    const live = await direct.get(key);
    assert.equal(live.generation, generation);
    assert.equal(Buffer.from(live.bytes).toString(), 'new');
  });

  it('retries reads and listings, and resumes a stream cut mid-body', async () => {
    const store = viaProxy();
    const prefix = `${name('reads')}/`;
    const big = Buffer.from(Array.from({ length: 3 * 1024 * 1024 }, (_, i) => (i * 31) & 0xff));
    await direct.put(`${prefix}big`, big);
    for (let i = 0; i < 5; i++) await direct.put(`${prefix}${i}`, Buffer.from(String(i)));
    proxy.addRule({ match: gcsRequests.media, action: { kind: 'status', status: 503 }, times: 1 });
    proxy.addRule({
      match: gcsRequests.metadata,
      action: { kind: 'status', status: 429 },
      times: 1,
    });
    assert.deepEqual(Buffer.from((await store.get(`${prefix}3`)).bytes).toString(), '3');
    proxy.addRule({
      match: gcsRequests.list,
      action: { kind: 'drop-before-forward' },
      skip: 1,
      times: 1,
    });
    const listed: string[] = [];
    for await (const info of store.list({ prefix, pageSize: 2 })) listed.push(info.name);
    assert.deepEqual(listed, [
      `${prefix}0`,
      `${prefix}1`,
      `${prefix}2`,
      `${prefix}3`,
      `${prefix}4`,
      `${prefix}big`,
    ]);
    const cut = proxy.addRule({
      match: gcsRequests.media,
      action: { kind: 'drop-mid-response', afterBytes: 1024 * 1024 },
      times: 2,
    });
    const { stream } = await store.getStream(`${prefix}big`);
    assert.ok((await collect(stream)).equals(big), 'the resumed stream has every byte once');
    assert.equal(cut.fired, 2);
    const ranged = await store.get(`${prefix}big`, { range: { start: 1000, end: 2_000_000 } });
    assert.ok(Buffer.from(ranged.bytes).equals(big.subarray(1000, 2_000_001)));
  });

  it('notices a download damaged in transit and reads it again', async () => {
    const store = viaProxy();
    const key = name('damaged');
    const data = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 13) & 0xff));
    await direct.put(key, data);
    const damage = proxy.addRule({
      match: gcsRequests.media,
      action: { kind: 'corrupt-response', atByte: 123_456 },
      times: 1,
    });
    assert.ok(Buffer.from((await store.get(key)).bytes).equals(data));
    assert.equal(damage.fired, 1);
    assert.equal(store.stats.retries, 1);
    // A stream cannot take back bytes it has handed out: it fails instead.
    proxy.addRule({
      match: gcsRequests.media,
      action: { kind: 'corrupt-response', atByte: 5 },
      times: 1,
    });
    const { stream } = await store.getStream(key);
    await assertRejects(collect(stream), 'UNAVAILABLE', 'damaged stream');
    // Ranges have no stored checksum to compare with; whole reads are checked.
    assert.ok((await collect((await store.getStream(key)).stream)).equals(data));
  });

  it('gives up after its attempts with a typed, retryable error', async () => {
    const store = viaProxy({ retry: { maxAttempts: 3 } });
    proxy.addRule({ match: gcsRequests.create, action: { kind: 'status', status: 503 } });
    await assertRejects(
      store.put(name('down'), Buffer.from('x'), { ifGenerationMatch: 0 }),
      'UNAVAILABLE',
    );
    proxy.clearRules();
    proxy.addRule({ match: gcsRequests.metadata, action: { kind: 'status', status: 429 } });
    const error = await store.head(name('throttled-head')).catch((e: unknown) => e);
    assert.ok(error instanceof CascadeError && error.code === 'RATE_LIMITED' && error.retryable);
    proxy.clearRules();
    const before = proxy.events.length;
    await assertRejects(
      store.put(name('no-retry'), Buffer.from('x'), { ifGenerationMatch: 42 }),
      'PRECONDITION_FAILED',
    );
    assert.equal(proxy.events.length - before, 1, 'a plain 412 is not retried');
  });

  it('stays exact under seeded random faults on every request', async () => {
    // Prepare: 15% 503, 5% dropped before forwarding, 10% dropped after the
    // emulator answered — on every request, reads and heads included.
    proxy.addRule({ action: { kind: 'status', status: 503 }, probability: 0.15 });
    proxy.addRule({ action: { kind: 'drop-before-forward' }, probability: 0.05 / 0.85 });
    proxy.addRule({ action: { kind: 'drop-after-forward' }, probability: 0.1 / 0.8 });
    const writers = [
      viaProxy({ retry: { maxAttempts: 12 } }),
      viaProxy({ retry: { maxAttempts: 12 } }),
    ];
    const prefix = `${name('chaos')}/`;
    // Act: two writers race to create each of 25 names.
    const outcomes = await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        Promise.all(
          writers.map((w, k) =>
            w.put(`${prefix}${i}`, Buffer.from(`writer ${k}`), { ifGenerationMatch: 0 }).then(
              (r) => ({ k, generation: r.generation }),
              (e: unknown) => ({ k, error: e }),
            ),
          ),
        ),
      ),
    );
    // and one writer increments a counter 30 times by compare-and-swap.
    const counter = `${prefix}counter`;
    await writers[0]!.put(counter, Buffer.from('0'), { ifGenerationMatch: 0 });
    for (let i = 0; i < 30; i++) {
      const { bytes, generation } = await writers[0]!.get(counter);
      await writers[0]!.put(
        counter,
        Buffer.from(String(Number(Buffer.from(bytes).toString()) + 1)),
        { ifGenerationMatch: generation },
      );
    }
    // Assess
    proxy.clearRules();
    for (const [i, pair] of outcomes.entries()) {
      const wins = pair.filter((o) => 'generation' in o);
      const losses = pair.filter((o) => 'error' in o);
      assert.equal(wins.length, 1, `name ${i}: one winner`);
      for (const loss of losses)
        assert.ok(
          loss.error instanceof CascadeError && loss.error.code === 'PRECONDITION_FAILED',
          `name ${i}: ${String(loss.error)}`,
        );
      const live = await direct.get(`${prefix}${i}`);
      assert.equal(live.generation, (wins[0] as { generation: number }).generation);
      assert.equal(Buffer.from(live.bytes).toString(), `writer ${wins[0]!.k}`);
    }
    assert.equal(Buffer.from((await direct.get(counter)).bytes).toString(), '30');
    const faults = proxy.events.filter((e) => e.action !== 'forward').length;
    assert.ok(faults > 20, `faults were injected (${faults})`);
  });
});

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
