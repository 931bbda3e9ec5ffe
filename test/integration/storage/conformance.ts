// The object store conformance suite: ONE list of cases, registered for each
// backend by its own test file (memory.test.ts, fs.test.ts, gcs.test.ts), so
// every backend is held to the same contract.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CascadeError, type ErrorCode, hasCode } from '../../../src/errors.ts';
import { type ByteRange, compareNames, type ObjectStore } from '../../../src/storage/index.ts';
import type { StoreSpec } from '../../support/store-spec.ts';
import type { RaceOutcome, StreamReport } from '../../support/store-worker.ts';
import { runTogether } from '../../support/workers.ts';

export interface StoreUnderTest {
  store: ObjectStore;
  /** How a child process reaches the same store. */
  spec: StoreSpec;
}

export interface Backend {
  label: string;
  /** A store over a fresh, empty namespace (a new root, bucket or map). */
  open(): Promise<StoreUnderTest>;
  /**
   * Copies of a streamed object the backend itself keeps in the writing
   * process: 1 for the in-memory store (it holds the object), 0 otherwise.
   */
  residentCopies: number;
  teardown(): Promise<void>;
}

const MiB = 1024 * 1024;

export function registerConformance(label: string, makeBackend: () => Promise<Backend>): void {
  describe(`object store conformance: ${label}`, () => {
    let backend: Backend;
    const opened: ObjectStore[] = [];
    const fresh = async () => {
      const under = await backend.open();
      opened.push(under.store);
      return under;
    };
    before(async () => {
      backend = await makeBackend();
    });
    after(async () => {
      for (const store of opened) await store.close();
      await backend?.teardown();
    });

    it('create-if-absent race: 32 concurrent writers in one process, one winner per name', async () => {
      // Prepare
      const { store } = await fresh();
      const names = Array.from({ length: 16 }, (_, i) => `race/in-process/${i}`);
      // Act
      const outcomes: RaceOutcome[] = [];
      await Promise.all(
        Array.from({ length: 32 }, async (_, w) => {
          for (const name of names) {
            const writer = `w${w}`;
            try {
              const { generation } = await store.put(name, Buffer.from(writer), {
                ifGenerationMatch: 0,
              });
              outcomes.push({ name, writer, outcome: 'won', generation });
            } catch (error) {
              outcomes.push({
                name,
                writer,
                outcome: hasCode(error, 'PRECONDITION_FAILED') ? 'lost' : 'error',
                error: String(error),
              });
            }
          }
        }),
      );
      // Assess
      await assertOneWinnerPerName(store, names, outcomes, 32);
    });

    it('create-if-absent race: 4 OS processes x 8 writers, one winner per name', async () => {
      const { store, spec } = await fresh();
      const names = Array.from({ length: 16 }, (_, i) => `race/processes/${i}`);
      const results = (await runTogether(
        Array.from({ length: 4 }, (_, p) => ({
          op: 'race' as const,
          spec,
          names,
          writers: 8,
          tag: `p${p}`,
        })),
        { serve: store },
      )) as RaceOutcome[][];
      await assertOneWinnerPerName(store, names, results.flat(), 32);
    });

    it('compare-and-swap chain: 200 concurrent increments reach 200', async () => {
      const { store } = await fresh();
      await store.put('cas/counter', Buffer.from('0'), { ifGenerationMatch: 0 });
      let conflicts = 0;
      await Promise.all(
        Array.from({ length: 200 }, async () => {
          for (let attempt = 1; ; attempt++) {
            const { bytes, generation } = await store.get('cas/counter');
            const next = Number(Buffer.from(bytes).toString()) + 1;
            try {
              await store.put('cas/counter', Buffer.from(String(next)), {
                ifGenerationMatch: generation,
              });
              return;
            } catch (error) {
              if (!hasCode(error, 'PRECONDITION_FAILED')) throw error;
              conflicts++;
              // Exponential backoff with full jitter, as a real client does;
              // the cap is about (contenders x one read-modify-write).
              await sleep(Math.random() * Math.min(2000, 10 * 2 ** attempt));
            }
          }
        }),
      );
      const final = await store.get('cas/counter');
      assert.equal(Buffer.from(final.bytes).toString(), '200', `after ${conflicts} conflicts`);
    });

    it('ranged reads: first byte, middle, last N, past end, end clamped', async () => {
      const { store } = await fresh();
      const data = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 7) & 0xff));
      const { generation } = await store.put('range/object', data);
      const cases: { range: ByteRange; start: number; end: number }[] = [
        { range: { start: 0, end: 0 }, start: 0, end: 0 },
        { range: { start: 400, end: 599 }, start: 400, end: 599 },
        { range: { start: 990 }, start: 990, end: 999 },
        { range: { suffix: 10 }, start: 990, end: 999 },
        { range: { suffix: 1 }, start: 999, end: 999 },
        { range: { suffix: 5000 }, start: 0, end: 999 },
        { range: { start: 995, end: 5000 }, start: 995, end: 999 },
        { range: { start: 1000 }, start: 1000, end: 999 },
        { range: { start: 5000, end: 6000 }, start: 5000, end: 4999 },
        { range: { suffix: 0 }, start: 1000, end: 999 },
      ];
      for (const c of cases) {
        const got = await store.get('range/object', { range: c.range });
        const what = JSON.stringify(c.range);
        assert.deepEqual([got.rangeStart, got.rangeEnd], [c.start, c.end], what);
        assert.deepEqual(Buffer.from(got.bytes), data.subarray(c.start, c.end + 1), what);
        assert.equal(got.size, 1000, what);
        assert.equal(got.generation, generation, what);
        const streamed = await store.getStream('range/object', { range: c.range });
        assert.deepEqual(
          await collect(streamed.stream),
          data.subarray(c.start, c.end + 1),
          `stream ${what}`,
        );
        assert.deepEqual(
          [streamed.rangeStart, streamed.rangeEnd],
          [c.start, c.end],
          `stream ${what}`,
        );
      }
      await store.put('range/empty', new Uint8Array(0));
      for (const range of [undefined, { start: 0 }, { suffix: 3 }]) {
        const got = await store.get('range/empty', { range });
        assert.equal(got.bytes.byteLength, 0);
        assert.equal(got.size, 0);
      }
    });

    it('lists in byte order of names, non-ASCII included', async () => {
      const { store } = await fresh();
      const long = 'x'.repeat(100);
      const names = [
        'a',
        'a!',
        'a/b',
        'a/b/c',
        'a/b!',
        'a0',
        'aé',
        'a~',
        'b',
        'Z',
        'é',
        'ê/x',
        '日本/語',
        'a/😀',
        '😀',
        long,
        `${long}!`,
        `${long}/y`,
        `${long}0`,
        `${'é'.repeat(60)}/z`,
        `${'é'.repeat(60)}`,
      ];
      await inParallel(shuffle(names), 8, (name) => store.put(name, Buffer.from(name)));
      const listed = await listNames(store.list());
      assert.deepEqual(listed, [...names].sort(compareNames));
      // Byte order, not UTF-16 order: U+FF5A (EF BD 9A) sorts before U+1F600 (F0 9F 98 80)
      // in bytes, but after it in UTF-16 code units (FF5A > D83D).
      await store.put('\uff5a', Buffer.from('z'));
      const again = await listNames(store.list());
      assert.ok(again.indexOf('\uff5a') < again.indexOf('😀'));
    });

    it('paginates across more than 1000 objects, with startOffset/endOffset', async () => {
      const { store } = await fresh();
      const names = Array.from({ length: 1100 }, (_, i) => `page/${String(i).padStart(5, '0')}`);
      await inParallel(shuffle(names), 16, (name) =>
        store.put(name, Buffer.from(name), { ifGenerationMatch: 0 }),
      );
      await store.put('pagf', Buffer.from('outside'));
      const all = await listNames(store.list({ prefix: 'page/', pageSize: 97 }));
      assert.equal(all.length, 1100);
      assert.deepEqual(all, names);
      const defaultPages = await listNames(store.list({ prefix: 'page/' }));
      assert.deepEqual(defaultPages, names);
      const window = await listNames(
        store.list({
          prefix: 'page/',
          startOffset: 'page/00100',
          endOffset: 'page/00200',
          pageSize: 33,
        }),
      );
      assert.deepEqual(window, names.slice(100, 200));
      const fromStart = await listNames(store.list({ startOffset: 'page/01095' }));
      assert.deepEqual(fromStart, [...names.slice(1095), 'pagf']);
      const untilEnd = await listNames(store.list({ endOffset: 'page/00003' }));
      assert.deepEqual(untilEnd, names.slice(0, 3));
      const between = await listNames(
        store.list({ startOffset: 'page/00050x', endOffset: 'page/00052' }),
      );
      assert.deepEqual(between, ['page/00051']);
    });

    it('keeps prefixes isolated', async () => {
      const { store } = await fresh();
      const names = [
        'iso/a',
        'iso/a/b',
        'iso/ab',
        'iso-x',
        'isoa',
        'iso/a!',
        'iso/b/a',
        'other/iso/a',
      ];
      await inParallel(names, 8, (name) => store.put(name, Buffer.from('x')));
      assert.deepEqual(await listNames(store.list({ prefix: 'iso/a' })), [
        'iso/a',
        'iso/a!',
        'iso/a/b',
        'iso/ab',
      ]);
      assert.deepEqual(await listNames(store.list({ prefix: 'iso/a/' })), ['iso/a/b']);
      assert.deepEqual(await listNames(store.list({ prefix: 'iso/' })), [
        'iso/a',
        'iso/a!',
        'iso/a/b',
        'iso/ab',
        'iso/b/a',
      ]);
      assert.deepEqual(await listNames(store.list({ prefix: 'iso' })), [
        'iso-x',
        'iso/a',
        'iso/a!',
        'iso/a/b',
        'iso/ab',
        'iso/b/a',
        'isoa',
      ]);
      assert.deepEqual(await listNames(store.list({ prefix: 'nothing/' })), []);
    });

    it('deletes with and without a precondition', async () => {
      const { store } = await fresh();
      const { generation } = await store.put('del/a', Buffer.from('a'));
      await assertRejects(
        store.delete('del/a', { ifGenerationMatch: generation + 1 }),
        'PRECONDITION_FAILED',
      );
      await assertRejects(store.delete('del/a', { ifGenerationMatch: 0 }), 'PRECONDITION_FAILED');
      assert.equal(
        (await store.head('del/a')).generation,
        generation,
        'still there after a failed delete',
      );
      await store.delete('del/a', { ifGenerationMatch: generation });
      await assertRejects(store.head('del/a'), 'NOT_FOUND');
      await assertRejects(store.get('del/a'), 'NOT_FOUND');
      await assertRejects(store.delete('del/a'), 'NOT_FOUND');
      await store.put('del/b', Buffer.from('b'));
      await store.delete('del/b');
      await assertRejects(store.head('del/b'), 'NOT_FOUND');
      assert.deepEqual(await listNames(store.list({ prefix: 'del/' })), []);
      // A name can be created again after a delete, with a new generation.
      const again = await store.put('del/a', Buffer.from('again'), { ifGenerationMatch: 0 });
      assert.notEqual(again.generation, generation);
    });

    it('round-trips metadata and content type; replace needs the live generation', async () => {
      const { store } = await fresh();
      const metadata = { a: '1', 'Mixed-Case': 'Ünïcödé ✓', spaces: ' x y ', json: '{"k":[1,2]}' };
      const contentType = 'application/json; charset=utf-8';
      const { generation } = await store.put('meta/a', Buffer.from('{}'), {
        metadata,
        contentType,
        ifGenerationMatch: 0,
      });
      const head = await store.head('meta/a');
      assert.deepEqual(head.metadata, metadata);
      assert.equal(head.contentType, contentType);
      assert.equal(head.generation, generation);
      assert.equal(head.size, 2);
      assert.equal(head.name, 'meta/a');
      assert.ok(
        head.updated instanceof Date && Math.abs(head.updated.getTime() - Date.now()) < 10 * 60_000,
      );
      const got = await store.get('meta/a');
      assert.deepEqual(got.metadata, metadata);
      assert.equal(got.contentType, contentType);
      const [listed] = await collectAll(store.list({ prefix: 'meta/' }));
      assert.deepEqual(listed?.metadata, metadata);
      assert.equal(listed?.contentType, contentType);
      assert.equal(listed?.generation, generation);
      // Defaults, and a replace that carries new metadata.
      await assertRejects(
        store.put('meta/a', Buffer.from('x'), { ifGenerationMatch: generation + 1 }),
        'PRECONDITION_FAILED',
      );
      await assertRejects(
        store.put('meta/absent', Buffer.from('x'), { ifGenerationMatch: 12345 }),
        'PRECONDITION_FAILED',
      );
      const replaced = await store.put('meta/a', Buffer.from('y'), {
        ifGenerationMatch: generation,
      });
      assert.ok(replaced.generation > generation, 'generations increase');
      const plain = await store.head('meta/a');
      assert.deepEqual(plain.metadata, {});
      assert.equal(plain.contentType, 'application/octet-stream');
    });

    it('streams a 64 MiB object both ways without holding it whole', async () => {
      const { spec } = await fresh();
      const size = 64 * MiB;
      const [report] = (await runTogether(
        [
          {
            op: 'stream',
            spec: spec.kind === 'ipc' ? { kind: 'memory' } : spec,
            name: 'stream/64MiB',
            size,
            chunkBytes: MiB,
            gcEveryBytes: 4 * MiB,
          },
        ],
        { nodeArgs: ['--expose-gc'] },
      )) as StreamReport[];
      assert.ok(report);
      assert.equal(report.readBytes, size);
      assert.equal(report.readSha256, report.writtenSha256);
      assert.ok(
        report.maxChunkBytes <= MiB,
        `largest chunk read was ${report.maxChunkBytes} bytes`,
      );
      const growth = report.peakRss - report.baselineRss;
      const budget = 40 * MiB + backend.residentCopies * size;
      assert.ok(
        growth < budget,
        `RSS grew by ${(growth / MiB).toFixed(1)} MiB (budget ${(budget / MiB).toFixed(0)} MiB)`,
      );
    });

    it('rejects hostile names with INVALID_NAME', async () => {
      const { store } = await fresh();
      const hostile: unknown[] = [
        '',
        '.',
        '..',
        'a/../b',
        'a/./b',
        '../a',
        'a/..',
        '/abs',
        'a//b',
        'a/',
        'nul\u0000x',
        'cr\rx',
        'lf\nx',
        'tab\tx',
        'del\u007fx',
        'back\\slash',
        'x'.repeat(1025),
        'é'.repeat(513),
        '\ud800',
        42,
        null,
        undefined,
        {},
        ['a'],
      ];
      for (const name of hostile) {
        const shown = typeof name === 'string' ? JSON.stringify(name.slice(0, 20)) : String(name);
        const n = name as string;
        await assertRejects(store.put(n, Buffer.from('x')), 'INVALID_NAME', `put ${shown}`);
        await assertRejects(
          store.putStream(n, async function* () {}),
          'INVALID_NAME',
          `putStream ${shown}`,
        );
        await assertRejects(store.get(n), 'INVALID_NAME', `get ${shown}`);
        await assertRejects(store.getStream(n), 'INVALID_NAME', `getStream ${shown}`);
        await assertRejects(store.head(n), 'INVALID_NAME', `head ${shown}`);
        await assertRejects(store.delete(n), 'INVALID_NAME', `delete ${shown}`);
      }
      for (const prefix of ['/x', 'a//', '..', 'a/../', 'nul\u0000']) {
        await assertRejects(
          collectAll(store.list({ prefix })),
          'INVALID_NAME',
          `list prefix ${JSON.stringify(prefix)}`,
        );
      }
      // The longest legal names work, ASCII and not.
      for (const name of [
        'n'.repeat(1024),
        `${'é'.repeat(511)}ab`,
        `d/${'e'.repeat(300)}/${'f'.repeat(300)}`,
      ]) {
        await store.put(name, Buffer.from('ok'), { ifGenerationMatch: 0 });
        assert.equal(Buffer.from((await store.get(name)).bytes).toString(), 'ok');
      }
      assert.equal((await listNames(store.list())).length, 3);
    });

    it('rejects bad arguments with INVALID_ARGUMENT', async () => {
      const { store } = await fresh();
      await store.put('args/a', Buffer.from('abc'));
      const bad: [string, () => Promise<unknown>][] = [
        ['range start -1', () => store.get('args/a', { range: { start: -1 } })],
        ['range end < start', () => store.get('args/a', { range: { start: 5, end: 4 } })],
        ['range start 1.5', () => store.get('args/a', { range: { start: 1.5 } })],
        ['range start NaN', () => store.get('args/a', { range: { start: Number.NaN } })],
        ['range suffix -1', () => store.get('args/a', { range: { suffix: -1 } })],
        [
          'range suffix "2"',
          () => store.get('args/a', { range: { suffix: '2' as unknown as number } }),
        ],
        ['range null', () => store.get('args/a', { range: null as unknown as { suffix: number } })],
        ['stream range start -1', () => store.getStream('args/a', { range: { start: -1 } })],
        ['range on a missing object', () => store.get('args/missing', { range: { start: -1 } })],
        [
          'ifGenerationMatch -1',
          () => store.put('args/a', Buffer.from('x'), { ifGenerationMatch: -1 }),
        ],
        [
          'ifGenerationMatch 1.5',
          () => store.put('args/a', Buffer.from('x'), { ifGenerationMatch: 1.5 }),
        ],
        [
          'ifGenerationMatch "0"',
          () =>
            store.put('args/a', Buffer.from('x'), { ifGenerationMatch: '0' as unknown as number }),
        ],
        [
          'delete ifGenerationMatch NaN',
          () => store.delete('args/a', { ifGenerationMatch: Number.NaN }),
        ],
        [
          'metadata value 1',
          () => store.put('args/a', Buffer.from('x'), { metadata: { a: 1 as unknown as string } }),
        ],
        [
          'metadata reserved key',
          () => store.put('args/a', Buffer.from('x'), { metadata: { 'cascade-write-id': 'x' } }),
        ],
        [
          'metadata too large',
          () => store.put('args/a', Buffer.from('x'), { metadata: { big: 'x'.repeat(9000) } }),
        ],
        ['contentType ""', () => store.put('args/a', Buffer.from('x'), { contentType: '' })],
        [
          'contentType with LF',
          () => store.put('args/a', Buffer.from('x'), { contentType: 'a\nb' }),
        ],
        ['data is a string', () => store.put('args/a', 'abc' as unknown as Uint8Array)],
        ['data is null', () => store.put('args/a', null as unknown as Uint8Array)],
        [
          'putStream source not a function',
          () => store.putStream('args/a', 'x' as unknown as () => AsyncIterable<Uint8Array>),
        ],
        [
          'putStream chunk not bytes',
          () =>
            store.putStream('args/b', async function* () {
              yield 'x' as unknown as Uint8Array;
            }),
        ],
        ['list pageSize 0', () => collectAll(store.list({ pageSize: 0 }))],
        ['list pageSize 1.5', () => collectAll(store.list({ pageSize: 1.5 }))],
      ];
      for (const [what, call] of bad) await assertRejects(call(), 'INVALID_ARGUMENT', what);
      assert.equal(
        Buffer.from((await store.get('args/a')).bytes).toString(),
        'abc',
        'nothing was written',
      );
      await assertRejects(store.head('args/b'), 'NOT_FOUND', 'a failed putStream leaves nothing');
    });
  });
}

async function assertOneWinnerPerName(
  store: ObjectStore,
  names: string[],
  outcomes: RaceOutcome[],
  writers: number,
) {
  const errors = outcomes.filter((o) => o.outcome === 'error');
  assert.deepEqual(errors, [], 'every loser gets PRECONDITION_FAILED');
  for (const name of names) {
    const mine = outcomes.filter((o) => o.name === name);
    assert.equal(mine.length, writers, `${name}: every writer reported`);
    const winners = mine.filter((o) => o.outcome === 'won');
    assert.equal(
      winners.length,
      1,
      `${name}: exactly one winner, got ${winners.map((w) => w.writer).join(', ')}`,
    );
    const stored = await store.get(name);
    assert.equal(
      Buffer.from(stored.bytes).toString(),
      winners[0]!.writer,
      `${name}: the winner's bytes are stored`,
    );
    assert.equal(
      stored.generation,
      winners[0]!.generation,
      `${name}: the winner's generation is live`,
    );
  }
}

export async function assertRejects(
  promise: Promise<unknown>,
  code: ErrorCode,
  what = '',
): Promise<void> {
  try {
    await promise;
  } catch (error) {
    assert.ok(
      error instanceof CascadeError,
      `${what}: expected a CascadeError, got ${String(error)}`,
    );
    assert.equal(error.code, code, `${what}: ${error.message}`);
    if (
      code === 'INVALID_NAME' ||
      code === 'INVALID_ARGUMENT' ||
      code === 'PRECONDITION_FAILED' ||
      code === 'NOT_FOUND'
    ) {
      assert.equal(error.retryable, false, `${what}: ${code} is not retryable`);
    }
    return;
  }
  assert.fail(`${what}: expected ${code}, but it succeeded`);
}

export async function collect(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts);
}

export async function collectAll<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

async function listNames(iterable: AsyncIterable<{ name: string }>): Promise<string[]> {
  return (await collectAll(iterable)).map((o) => o.name);
}

export async function inParallel<T>(
  items: T[],
  width: number,
  fn: (item: T) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

function shuffle<T>(items: T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
