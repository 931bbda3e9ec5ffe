import { randomBytes } from 'node:crypto';
import { link, open, readFile, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { CascadeError } from '../errors.ts';
import { ensureDir, errnoOf, mapFsError } from './fs-io.ts';

/**
 * The filesystem store's marker file, `<root>/cascade-store.json`:
 * {"format":"cascade-fs-store","version":1}. `version` is the on-disk layout
 * version: fs-layout.ts (names → paths) and fs-record.ts (one file per
 * object) both describe version 1. A root written by another version is
 * refused, never misread.
 */
export const MARKER = 'cascade-store.json';
export const LAYOUT = { format: 'cascade-fs-store', version: 1 } as const;

/**
 * Creates (or checks) a store root: `objects/`, `locks/` and the marker, and
 * refuses a case-insensitive filesystem (names "A" and "a" are different
 * objects; such a filesystem would merge them).
 */
export async function openRoot(root: string): Promise<{ objects: string; locks: string }> {
  const objects = join(root, 'objects');
  const locks = join(root, 'locks');
  await ensureDir(objects, dirname(root));
  await ensureDir(locks, dirname(root));
  const marker = join(root, MARKER);
  try {
    // link() publishes a complete marker or leaves the first one in place.
    const temp = `${marker}.${randomBytes(4).toString('hex')}`;
    await writeFile(temp, `${JSON.stringify(LAYOUT)}\n`);
    await link(temp, marker).catch((error) => {
      if (errnoOf(error) !== 'EEXIST') throw error;
    });
    await unlink(temp);
  } catch (error) {
    throw mapFsError(error, `writing ${marker}`);
  }
  let found: { format?: unknown; version?: unknown };
  try {
    found = JSON.parse(await readFile(marker, 'utf8'));
  } catch (error) {
    throw new CascadeError('INVALID_CONFIG', `${marker} is not readable JSON`, { cause: error });
  }
  if (found?.format !== LAYOUT.format) {
    throw new CascadeError(
      'INVALID_CONFIG',
      `${root} is not a Cascade filesystem store (${MARKER} says ${JSON.stringify(found)})`,
    );
  }
  if (found.version !== LAYOUT.version) {
    throw new CascadeError(
      'UNSUPPORTED_VERSION',
      `${root} has store layout version ${String(found.version)}; this build reads version ${LAYOUT.version}`,
    );
  }
  await refuseCaseInsensitive(root, objects);
  return { objects, locks };
}

async function refuseCaseInsensitive(root: string, objects: string): Promise<void> {
  const probeName = `.case-probe-${randomBytes(4).toString('hex')}`;
  const probe = join(objects, probeName);
  await writeFile(probe, '');
  try {
    const folded = await open(join(objects, probeName.toUpperCase()), 'r')
      .then(async (handle) => {
        await handle.close();
        return true;
      })
      .catch(() => false);
    if (folded) {
      throw new CascadeError(
        'INVALID_CONFIG',
        `${root} is on a case-insensitive filesystem; FsStore needs a case-sensitive one`,
      );
    }
  } finally {
    await unlink(probe).catch(() => {});
  }
}
