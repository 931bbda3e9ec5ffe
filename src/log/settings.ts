import { CascadeError } from '../errors.ts';
import type { StreamSettings } from './types.ts';

/** Defaults for the optional stream settings, as documented in the configuration table. */
export const STREAM_DEFAULTS = {
  lingerMs: 20,
  maxBatchBytes: 8 * 1024 * 1024,
  maxBatchRecords: 10_000,
  dedupWindowMs: 600_000,
  maxPendingBytes: 64 * 1024 * 1024,
  partitionKey: {},
} as const;

/**
 * Fills in defaults and checks a stream's settings, so a mistake fails at
 * construction with every problem listed instead of mid-commit.
 *
 * @example
 * const stream = streamSettings({ name: 'orders', prefix: 'cascade/', partitions: 4 });
 */
export function streamSettings(
  input: Pick<StreamSettings, 'name' | 'prefix' | 'partitions'> & Partial<StreamSettings>,
): StreamSettings {
  const settings: StreamSettings = {
    ...STREAM_DEFAULTS,
    ...input,
    partitionKey: { ...(input.partitionKey ?? STREAM_DEFAULTS.partitionKey) },
  };
  const problems: string[] = [];
  if (!/^[a-z0-9_-]{1,128}$/.test(settings.name)) {
    problems.push(`name must match [a-z0-9-_]{1,128}, got ${JSON.stringify(settings.name)}`);
  }
  if (settings.prefix !== '' && !/^[^\s\\]*\/$/.test(settings.prefix)) {
    problems.push(`prefix must be '' or end with '/', got ${JSON.stringify(settings.prefix)}`);
  }
  const positive: (keyof StreamSettings)[] = [
    'partitions',
    'maxBatchBytes',
    'maxBatchRecords',
    'maxPendingBytes',
  ];
  for (const key of positive) {
    const value = settings[key];
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
      problems.push(`${key} must be a positive integer, got ${String(value)}`);
    }
  }
  if (settings.partitions > 10_000) problems.push('partitions must be at most 10000');
  for (const key of ['lingerMs', 'dedupWindowMs'] as const) {
    if (!Number.isFinite(settings[key]) || settings[key] < 0) {
      problems.push(`${key} must be a non-negative number, got ${settings[key]}`);
    }
  }
  if (settings.maxPendingBytes < settings.maxBatchBytes) {
    problems.push('maxPendingBytes must be at least maxBatchBytes');
  }
  if (problems.length > 0) {
    throw new CascadeError('INVALID_CONFIG', `invalid stream settings: ${problems.join('; ')}`, {
      details: { problems },
    });
  }
  return settings;
}
