// scripts/package.ts: the function source archive holds what Cloud
// Functions' Node.js buildpack needs and nothing else, and is reproducible.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { crc32, inflateRawSync } from 'node:zlib';
import {
  DEFAULT_MAIN,
  deployedLock,
  deployedPackageJson,
  writeArchive,
} from '../../../scripts/package.ts';
import { encodeZip } from '../../../scripts/zip.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Reads a ZIP through its central directory, checking each entry's CRC. */
function decodeZip(zip: Buffer): Map<string, Buffer> {
  const end = zip.length - 22;
  assert.equal(zip.readUInt32LE(end), 0x06054b50, 'no end-of-central-directory record');
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const files = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    assert.equal(zip.readUInt32LE(at), 0x02014b50, `entry ${i}: bad central header`);
    const crc = zip.readUInt32LE(at + 16);
    const compressedSize = zip.readUInt32LE(at + 20);
    const size = zip.readUInt32LE(at + 24);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const localAt = zip.readUInt32LE(at + 42);
    const name = zip.subarray(at + 46, at + 46 + nameLength).toString('utf8');
    assert.equal(zip.readUInt32LE(localAt), 0x04034b50, `${name}: bad local header`);
    const dataAt = localAt + 30 + zip.readUInt16LE(localAt + 26) + zip.readUInt16LE(localAt + 28);
    const data = inflateRawSync(zip.subarray(dataAt, dataAt + compressedSize));
    assert.equal(data.length, size, `${name}: size`);
    assert.equal(crc32(data), crc, `${name}: crc`);
    files.set(name, data);
    at += 46 + nameLength + extraLength + commentLength;
  }
  return files;
}

describe('zip writer', () => {
  test('round-trips names and contents, empty files included', () => {
    const entries = [
      { name: 'a.txt', data: Buffer.from('hello') },
      { name: 'dir/empty', data: Buffer.alloc(0) },
      { name: 'dir/ünïcode.json', data: Buffer.from('{"x":1}\n'.repeat(1000)) },
    ];
    const files = decodeZip(encodeZip(entries));
    assert.deepEqual(
      [...files.keys()],
      entries.map((e) => e.name),
    );
    for (const e of entries) assert.deepEqual(files.get(e.name), e.data);
  });
});

describe('function source archive', () => {
  let folder: string;
  let files: Map<string, Buffer>;
  let first: Buffer;

  before(async () => {
    folder = await mkdtemp(join(tmpdir(), 'cascade-package-'));
    await writeArchive(repoRoot, join(folder, 'a.zip'));
    first = await readFile(join(folder, 'a.zip'));
    files = decodeZip(first);
  });

  after(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  test('holds package.json, the lock, functions/ and src/ only: no tests, no node_modules', () => {
    const names = [...files.keys()];
    assert.ok(names.includes('package.json'));
    assert.ok(names.includes('package-lock.json'));
    assert.ok(names.some((n) => n.startsWith('functions/')));
    assert.ok(names.some((n) => n.startsWith('src/')));
    for (const name of names) {
      assert.match(name, /^(package\.json|package-lock\.json|functions\/.+|src\/.+)$/, name);
      assert.doesNotMatch(name, /\.test\.ts$|(^|\/)node_modules\//, name);
    }
  });

  test('package.json names an entry module that is in the archive, and runs no build', () => {
    const pkg = JSON.parse(files.get('package.json')!.toString('utf8'));
    assert.ok(files.has(pkg.main), `main ${pkg.main} is not in the archive`);
    assert.equal(pkg.devDependencies, undefined);
    assert.deepEqual(pkg.scripts, { 'gcp-build': '' });
    assert.ok(pkg.dependencies['@google-cloud/functions-framework']);
  });

  test('the lock keeps every runtime package and drops the dev-only ones', async () => {
    const original = JSON.parse(await readFile(join(repoRoot, 'package-lock.json'), 'utf8'));
    const lock = JSON.parse(files.get('package-lock.json')!.toString('utf8'));
    for (const [path, entry] of Object.entries<{ dev?: boolean }>(original.packages)) {
      assert.equal(path in lock.packages, entry.dev !== true, path);
    }
    assert.equal(lock.packages[''].devDependencies, undefined);
    assert.deepEqual(lock.packages[''].dependencies, original.packages[''].dependencies);
  });

  test('is byte-for-byte reproducible', async () => {
    await writeArchive(repoRoot, join(folder, 'b.zip'));
    assert.ok(first.equals(await readFile(join(folder, 'b.zip'))));
  });
});

describe('deployed package.json and lock', () => {
  test('main defaults to the functions entry and is kept when set', () => {
    assert.equal(deployedPackageJson({ name: 'x' }).main, DEFAULT_MAIN);
    assert.equal(
      deployedPackageJson({ name: 'x', main: 'functions/other.ts' }).main,
      'functions/other.ts',
    );
  });

  test('dev packages and the root devDependencies are removed', () => {
    const lock = deployedLock({
      packages: {
        '': { dependencies: { a: '1' }, devDependencies: { b: '1' } },
        'node_modules/a': {},
        'node_modules/b': { dev: true },
        'node_modules/c': { devOptional: true },
      },
    });
    assert.deepEqual(Object.keys(lock.packages ?? {}), ['', 'node_modules/a', 'node_modules/c']);
    assert.deepEqual(lock.packages?.[''], { dependencies: { a: '1' } });
  });
});
