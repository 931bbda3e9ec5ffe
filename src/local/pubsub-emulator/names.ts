import { emulatorError, GrpcCode } from './errors.ts';

/** The kinds of named resource the emulator holds. */
export type ResourceKind = 'topics' | 'subscriptions' | 'snapshots';

/** A parsed `projects/{project}/{kind}/{id}` name. */
export interface ResourceName {
  readonly project: string;
  readonly kind: ResourceKind;
  readonly id: string;
  /** The full name, exactly as given. */
  readonly name: string;
}

/**
 * The topic name the real service puts on a subscription whose topic was
 * deleted; it is never a valid topic to create or publish to.
 */
export const DELETED_TOPIC = '_deleted-topic_';

// Pub/Sub's documented rule for topic, subscription and snapshot IDs: start
// with a letter, 3 to 255 characters of letters, digits and - _ . ~ + %, and
// never start with "goog".
const RESOURCE_ID = /^[A-Za-z][A-Za-z0-9\-_.~+%]{2,254}$/;
// Project IDs are looser in practice (legacy domain-scoped ids contain ':' and
// '.'), so only the separator and emptiness are refused.
const PROJECT_ID = /^[^/\s]+$/;

/** True when `id` is an acceptable topic, subscription or snapshot ID. */
export function isValidResourceId(id: string): boolean {
  return RESOURCE_ID.test(id) && !id.toLowerCase().startsWith('goog');
}

/**
 * Parses and validates a full resource name such as `projects/p/topics/t`.
 * Throws INVALID_ARGUMENT with the real service's wording when it is not one.
 */
export function parseResourceName(name: string | undefined, kind: ResourceKind): ResourceName {
  const parts = (name ?? '').split('/');
  const [projects, project, kindPart, id] = parts;
  const valid =
    parts.length === 4 &&
    projects === 'projects' &&
    project !== undefined &&
    PROJECT_ID.test(project) &&
    kindPart === kind &&
    id !== undefined &&
    isValidResourceId(id);
  if (!valid) {
    throw emulatorError(GrpcCode.INVALID_ARGUMENT, `Invalid [${kind}] name: (name=${name ?? ''})`);
  }
  return { project: project!, kind, id: id!, name: name! };
}

/** Parses `projects/{project}` (the parent of list calls). */
export function parseProjectName(name: string | undefined): string {
  const parts = (name ?? '').split('/');
  if (parts.length !== 2 || parts[0] !== 'projects' || !PROJECT_ID.test(parts[1] ?? '')) {
    throw emulatorError(GrpcCode.INVALID_ARGUMENT, `Invalid [projects] name: (name=${name ?? ''})`);
  }
  return parts[1]!;
}

/** The NOT_FOUND error the real service returns for a missing resource. */
export function notFound(name: string): Error {
  return emulatorError(GrpcCode.NOT_FOUND, `Resource not found (resource=${lastSegment(name)}).`);
}

/** The ALREADY_EXISTS error the real service returns for a duplicate create. */
export function alreadyExists(name: string): Error {
  return emulatorError(
    GrpcCode.ALREADY_EXISTS,
    `Resource already exists in the project (resource=${lastSegment(name)}).`,
  );
}

function lastSegment(name: string): string {
  return name.slice(name.lastIndexOf('/') + 1);
}
