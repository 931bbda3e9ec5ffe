import { CascadeError } from '../errors.ts';
import type { StreamSettings } from './types.ts';

/**
 * Object names of a stream. Layout, under the stream's prefix:
 *
 *   <prefix><stream>/p<partition, 4 digits>/tail/<base offset, 20 digits>.avro   data objects
 *   <prefix><stream>/p<partition, 4 digits>/head-hint.json                       head hint
 *
 * Zero padding makes lexicographic order equal offset order, so a listing
 * with startOffset walks a partition forward. Compaction puts its segments,
 * indexes and manifest in sibling folders of `tail/`.
 */
const OFFSET_DIGITS = 20;
const TAIL_SUFFIX = '.avro';

/** The folder holding everything of one partition, ending with '/'. */
export function partitionFolder(
  stream: Pick<StreamSettings, 'prefix' | 'name'>,
  partition: number,
) {
  return `${stream.prefix}${stream.name}/p${String(partition).padStart(4, '0')}/`;
}

/** The folder holding a partition's uncompacted data objects, ending with '/'. */
export function tailFolder(stream: Pick<StreamSettings, 'prefix' | 'name'>, partition: number) {
  return `${partitionFolder(stream, partition)}tail/`;
}

/** Name of the data object whose first record has offset `base`. */
export function tailObjectName(
  stream: Pick<StreamSettings, 'prefix' | 'name'>,
  partition: number,
  base: number,
): string {
  return `${tailFolder(stream, partition)}${formatOffset(base)}${TAIL_SUFFIX}`;
}

/** Name of a partition's head hint. */
export function headHintName(stream: Pick<StreamSettings, 'prefix' | 'name'>, partition: number) {
  return `${partitionFolder(stream, partition)}head-hint.json`;
}

/** 20-digit zero-padded decimal, Kafka's convention. */
export function formatOffset(offset: number): string {
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new CascadeError('INVALID_ARGUMENT', `offset must be a non-negative integer: ${offset}`);
  }
  return String(offset).padStart(OFFSET_DIGITS, '0');
}

/** The base offset of a data object name, or undefined when the name is not one. */
export function parseTailObjectName(name: string): number | undefined {
  const slash = name.lastIndexOf('/');
  const leaf = name.slice(slash + 1);
  if (leaf.length !== OFFSET_DIGITS + TAIL_SUFFIX.length || !leaf.endsWith(TAIL_SUFFIX)) {
    return undefined;
  }
  const digits = leaf.slice(0, OFFSET_DIGITS);
  if (!/^\d+$/.test(digits)) return undefined;
  const base = Number(digits);
  return Number.isSafeInteger(base) ? base : undefined;
}
