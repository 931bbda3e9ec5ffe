import { formatOffset, partitionFolder } from './names.ts';
import type { StreamSettings } from './types.ts';

/**
 * Names of a partition's compacted objects, beside its `tail/` folder:
 *
 *   <partition folder>manifest.json
 *   <partition folder>segments/<base, 20 digits>-<end, 20 digits>.avro   segment (end exclusive)
 *   <partition folder>segments/<base>-<end>.oidx                          offset index
 *   <partition folder>segments/<base>-<end>.tidx                          time index
 *
 * A segment's names depend only on the offsets it covers, so a rerun or a
 * concurrent compactor writes the same names and create-if-absent detects it.
 */
type StreamName = Pick<StreamSettings, 'prefix' | 'name'>;

/** Name of a partition's manifest. */
export function manifestName(stream: StreamName, partition: number): string {
  return `${partitionFolder(stream, partition)}manifest.json`;
}

/** The folder holding a partition's segments and their indexes, ending with '/'. */
export function segmentFolder(stream: StreamName, partition: number): string {
  return `${partitionFolder(stream, partition)}segments/`;
}

/** The three object names of the segment covering [base, end). */
export function segmentObjectNames(
  stream: StreamName,
  partition: number,
  base: number,
  end: number,
): { data: string; offsetIndex: string; timeIndex: string } {
  const stem = `${segmentFolder(stream, partition)}${formatOffset(base)}-${formatOffset(end)}`;
  return { data: `${stem}.avro`, offsetIndex: `${stem}.oidx`, timeIndex: `${stem}.tidx` };
}
