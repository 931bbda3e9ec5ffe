import { hasCode } from '../errors.ts';
import { type Logger, noopLogger } from '../observability/index.ts';
import type { SnapshotInfo, SubscriptionAdmin } from '../replay/index.ts';

/** When snapshots are taken and dropped. */
export interface SnapshotPolicy {
  /** Full subscription names to keep snapshots of. */
  subscriptions: string[];
  /** A new snapshot once the newest is this old. */
  intervalMs: number;
  /** Snapshots closer than this to their expiry are deleted (Pub/Sub would drop them anyway). */
  deleteBeforeExpiryMs: number;
}

/** What one rotation did. */
export interface RotationResult {
  created: string[];
  deleted: string[];
  /** Subscriptions whose snapshot Pub/Sub refused (e.g. under an hour of backlog left). */
  refused: { subscription: string; reason: string }[];
}

/**
 * The snapshot id rotation uses for a subscription at a time:
 * `cascade-<subscription id>-<yyyymmddThhmmss>`, so names sort by creation
 * time and rotation recognises its own snapshots.
 */
export function rotationSnapshotName(subscription: string, nowMs: number): string {
  const [project, , id] = subscription.split('/').slice(1);
  const stamp = new Date(nowMs).toISOString().replace(/[-:]/g, '').slice(0, 15).toLowerCase();
  return `projects/${project}/snapshots/cascade-${shortId(id ?? '')}-${stamp}`;
}

function shortId(id: string): string {
  // Snapshot ids are at most 255 characters; leave room for the prefix and stamp.
  return id.slice(0, 200);
}

function rotationPrefix(subscription: string): string {
  const parts = subscription.split('/');
  return `projects/${parts[1]}/snapshots/cascade-${shortId(parts[3] ?? '')}-`;
}

/** When a rotation snapshot was made, from its name (undefined for foreign names). */
function createdAt(snapshot: SnapshotInfo, prefix: string): number | undefined {
  if (!snapshot.name.startsWith(prefix)) return undefined;
  const stamp = snapshot.name.slice(prefix.length);
  const m = /^(\d{4})(\d{2})(\d{2})t(\d{2})(\d{2})(\d{2})$/.exec(stamp);
  if (!m) return undefined;
  return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
}

/**
 * One rotation pass: for each configured subscription, delete its rotation
 * snapshots that are about to expire, and create a new one when the newest is
 * older than the interval. Only snapshots named by {@link rotationSnapshotName}
 * are touched; a refused creation (Pub/Sub will not create a snapshot with
 * under an hour left) is reported, not thrown. Running it twice at once is
 * harmless: the second create of the same name gets ALREADY_EXISTS.
 */
export async function rotateSnapshots(options: {
  admin: SubscriptionAdmin;
  policy: SnapshotPolicy;
  clock?: () => number;
  logger?: Logger;
}): Promise<RotationResult> {
  const clock = options.clock ?? Date.now;
  const logger = options.logger ?? noopLogger;
  const { policy, admin } = options;
  const result: RotationResult = { created: [], deleted: [], refused: [] };
  if (policy.subscriptions.length === 0) return result;
  const snapshots = await admin.listSnapshots();
  const now = clock();
  for (const subscription of policy.subscriptions) {
    const prefix = rotationPrefix(subscription);
    let newest = Number.NEGATIVE_INFINITY;
    for (const snapshot of snapshots) {
      const made = createdAt(snapshot, prefix);
      if (made === undefined) continue;
      if (snapshot.expireTime.getTime() - now <= policy.deleteBeforeExpiryMs) {
        try {
          await admin.deleteSnapshot(snapshot.name);
          result.deleted.push(snapshot.name);
        } catch (error) {
          if (!hasCode(error, 'NOT_FOUND')) throw error;
        }
        continue;
      }
      newest = Math.max(newest, made);
    }
    if (now - newest < policy.intervalMs) continue;
    const name = rotationSnapshotName(subscription, now);
    try {
      const created = await admin.createSnapshot(name, subscription);
      result.created.push(created.name || name);
    } catch (error) {
      if (hasCode(error, 'PRECONDITION_FAILED') || hasCode(error, 'BAD_REQUEST')) {
        result.refused.push({ subscription, reason: (error as Error).message });
        logger.warn({ subscription, error: (error as Error).message }, 'snapshot refused');
        continue;
      }
      throw error;
    }
  }
  return result;
}
