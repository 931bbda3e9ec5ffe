import type { FileMetadata } from '@google-cloud/storage';
import { CascadeError } from '../errors.ts';
import type { ObjectInfo } from './types.ts';

/**
 * Custom metadata the Cloud Storage backend writes on every object and hides
 * from callers (options.ts reserves the keys):
 *   cascade-write-id   random id of the write that made this generation, to
 *                      recognise our own write after a lost answer
 *   cascade-replaces   the generation a conditional write replaced ("0" for a
 *                      create), to prove a lost replace never landed
 */
export const WRITE_ID = 'cascade-write-id';
export const REPLACES = 'cascade-replaces';

export interface WriteTags {
  generation: number;
  writeId: string | undefined;
  replaces: string | undefined;
}

export function writeTags(metadata: FileMetadata): WriteTags {
  const tag = (key: string) => {
    const value = metadata.metadata?.[key];
    return typeof value === 'string' ? value : undefined;
  };
  return {
    generation: Number(metadata.generation),
    writeId: tag(WRITE_ID),
    replaces: tag(REPLACES),
  };
}

export function toInfo(metadata: FileMetadata): ObjectInfo {
  const custom: Record<string, string> = {};
  for (const [key, value] of Object.entries(metadata.metadata ?? {})) {
    if (key === WRITE_ID || key === REPLACES || value === null || value === undefined) continue;
    custom[key] = String(value);
  }
  return {
    name: String(metadata.name),
    generation: Number(metadata.generation),
    size: Number(metadata.size ?? 0),
    metadata: custom,
    contentType: metadata.contentType ?? 'application/octet-stream',
    updated: new Date(metadata.updated ?? metadata.timeCreated ?? 0),
  };
}

/**
 * A retried replace got 412, and the live object neither is ours nor proves
 * that ours never landed: ours may have landed and been replaced since.
 */
export function outcomeUnknown(name: string, cause: CascadeError): CascadeError {
  return new CascadeError(
    'UNAVAILABLE',
    `put ${JSON.stringify(name)}: an attempt whose answer was lost may have been applied and then replaced; the outcome is unknown`,
    { cause, details: { name, outcome: 'unknown' } },
  );
}
