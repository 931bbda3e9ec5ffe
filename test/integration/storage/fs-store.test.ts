// What only the filesystem backend has to get right: crash safety (a process
// killed mid-write leaves the old object or none, never a torn one), stale
// lock recovery, and an on-disk format that is checked when read.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FsStore } from '../../../src/storage/index.ts';
import { exited, spawnWorker } from '../../support/workers.ts';
import { assertRejects, collectAll } from './conformance.ts';

describe('FsStore on disk', () => {
  let base: string;
  let next = 0;
  const fresh = () => {
    const root = join(base, `store-${next++}`);
    return { root, store: new FsStore({ root, lockStaleMs: 2_000, lockTimeoutMs: 5_000 }) };
  };

  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'cascade-fs-store-'));
  });
  after(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('keeps the old object when a writer is killed mid-write, and no object when it was a create', async () => {
    // Prepare
    const { root, store } = fresh();
    const old = await store.put('crash/replaced', Buffer.from('old bytes'), {
      metadata: { v: '1' },
    });
    // Act: two children stream 8 MiB each, then hang halfway; kill -9 them.
    for (const name of ['crash/replaced', 'crash/created']) {
      const worker = spawnWorker({
        op: 'hang-mid-put',
        spec: { kind: 'fs', root },
        name,
        size: 8 * 1024 * 1024,
        chunkBytes: 256 * 1024,
      });
      await worker.ready;
      worker.go();
      assert.equal(await worker.result, 'half-written');
      worker.child.kill('SIGKILL');
      await exited(worker.child);
    }
    // Assess
    const replaced = await store.get('crash/replaced');
    assert.equal(Buffer.from(replaced.bytes).toString(), 'old bytes');
    assert.equal(replaced.generation, old.generation);
    assert.deepEqual(replaced.metadata, { v: '1' });
    await assertRejects(store.head('crash/created'), 'NOT_FOUND');
    assert.deepEqual(
      (await collectAll(store.list({ prefix: 'crash/' }))).map((o) => o.name),
      ['crash/replaced'],
    );
    const leftovers = (await readdir(join(root, 'objects', 'dcrash'))).filter((e) =>
      e.startsWith('.tmp-'),
    );
    assert.equal(leftovers.length, 2, 'the torn temp files are there, and ignored');
    await store.put('crash/created', Buffer.from('fine'), { ifGenerationMatch: 0 });
    await store.put('crash/replaced', Buffer.from('new'), { ifGenerationMatch: old.generation });
  });

  it('breaks a lock left by a dead process, and waits out a live one', async () => {
    const { store } = fresh();
    const { generation } = await store.put('locks/a', Buffer.from('1'));
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    const lock = store.lockPathFor('locks/a');
    // A lock whose holder (on this host) is gone is broken at once.
    await writeFile(
      lock,
      JSON.stringify({ pid: dead, host: hostname(), token: 'dead', at: Date.now() }),
    );
    const started = Date.now();
    const next = await store.put('locks/a', Buffer.from('2'), { ifGenerationMatch: generation });
    assert.ok(Date.now() - started < 1_000, `took ${Date.now() - started} ms`);
    // A lock held by a live process (this one, under another token) is
    // respected until it is older than lockStaleMs (2 s here).
    await writeFile(
      lock,
      JSON.stringify({ pid: process.pid, host: hostname(), token: 'alive', at: Date.now() }),
    );
    const waited = Date.now();
    await store.delete('locks/a', { ifGenerationMatch: next.generation });
    const took = Date.now() - waited;
    assert.ok(took >= 1_900, `waited ${took} ms for the stale age`);
    await assertRejects(store.head('locks/a'), 'NOT_FOUND');
    // A lock that never goes stale makes the caller give up with a retryable error.
    const impatient = new FsStore({ root: store.root, lockStaleMs: 60_000, lockTimeoutMs: 300 });
    await impatient.put('locks/b', Buffer.from('1'));
    await writeFile(
      impatient.lockPathFor('locks/b'),
      JSON.stringify({ pid: process.pid, host: hostname(), token: 'x', at: Date.now() }),
    );
    await assertRejects(impatient.put('locks/b', Buffer.from('2')), 'UNAVAILABLE');
    await rm(impatient.lockPathFor('locks/b'));
  });

  it('checks the on-disk format when reading', async () => {
    const { root, store } = fresh();
    await store.put('fmt/a', Buffer.from('hello world'), { contentType: 'text/plain' });
    const path = join(root, 'objects', 'dfmt', 'oa');
    const pristine = await readFile(path);
    assert.equal(pristine.subarray(0, 4).toString('latin1'), 'CSOB');

    // A flipped data byte: whole-object reads catch it by checksum.
    await writeFile(path, flip(pristine, pristine.length - 1));
    await assertRejects(store.get('fmt/a'), 'CORRUPT_DATA', 'data byte');
    await assertRejects(collectStream(store, 'fmt/a'), 'CORRUPT_DATA', 'data byte, streamed');
    // A flipped header byte (content type), a truncated file, a wrong magic.
    await writeFile(path, flip(pristine, 40));
    await assertRejects(store.head('fmt/a'), 'CORRUPT_DATA', 'header byte');
    await writeFile(path, pristine.subarray(0, pristine.length - 3));
    await assertRejects(store.head('fmt/a'), 'CORRUPT_DATA', 'truncated');
    await writeFile(path, Buffer.concat([Buffer.from('XXXX'), pristine.subarray(4)]));
    await assertRejects(store.get('fmt/a'), 'CORRUPT_DATA', 'magic');
    // A newer record version is refused, not misread.
    const v2 = Buffer.from(pristine);
    v2.writeUInt16LE(2, 4);
    await writeFile(path, v2);
    await assertRejects(store.head('fmt/a'), 'UNSUPPORTED_VERSION', 'record version');
    await writeFile(path, pristine);
    assert.equal(Buffer.from((await store.get('fmt/a')).bytes).toString(), 'hello world');

    // A store folder written by a newer layout is refused as a whole.
    await writeFile(
      join(root, 'cascade-store.json'),
      JSON.stringify({ format: 'cascade-fs-store', version: 2 }),
    );
    await assertRejects(
      new FsStore({ root }).head('fmt/a'),
      'UNSUPPORTED_VERSION',
      'layout version',
    );
  });

  it('reads ranges from disk without reading the whole file', async () => {
    const { root, store } = fresh();
    const size = 32 * 1024 * 1024;
    await store.putStream('ranged/big', async function* () {
      for (let i = 0; i < 32; i++) yield Buffer.alloc(1024 * 1024, i);
    });
    // Replace the file's bytes in the middle behind the store's back: a
    // ranged read must come from the file at the asked position.
    const path = join(root, 'objects', 'dranged', 'obig');
    const handle = await open(path, 'r+');
    const { size: fileSize } = await handle.stat();
    const dataOffset = fileSize - size;
    await handle.write(Buffer.from('MARK'), 0, 4, dataOffset + 20 * 1024 * 1024);
    await handle.close();
    const got = await store.get('ranged/big', {
      range: { start: 20 * 1024 * 1024, end: 20 * 1024 * 1024 + 5 },
    });
    assert.equal(Buffer.from(got.bytes).toString('latin1'), 'MARK\u0014\u0014');
    const tail = await store.get('ranged/big', { range: { suffix: 2 } });
    assert.deepEqual([...tail.bytes], [31, 31]);
  });
});

function flip(bytes: Buffer, at: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[at] = (copy[at] ?? 0) ^ 0xff;
  return copy;
}

async function collectStream(store: FsStore, name: string): Promise<void> {
  const { stream } = await store.getStream(name);
  for await (const _ of stream) {
    // drain
  }
}
