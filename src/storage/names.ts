import { CascadeError } from '../errors.ts';

/** Longest object name, in UTF-8 bytes (Cloud Storage's limit). */
export const MAX_NAME_BYTES = 1024;

/**
 * Rejects names that some backend cannot hold faithfully or that could escape
 * a filesystem root: empty, too long, control characters (NUL, CR, LF, …),
 * backslashes, a leading '/', empty segments ('a//b'), '.' or '..' segments,
 * and a trailing '/'. The rule is the same for every backend so that an object
 * written to one can always be written to another.
 */
export function validateObjectName(name: unknown): asserts name is string {
  if (typeof name !== 'string') {
    throw invalid(String(name), 'object name must be a string');
  }
  if (name.length === 0) throw invalid(name, 'object name is empty');
  if (Buffer.byteLength(name, 'utf8') > MAX_NAME_BYTES) {
    throw invalid(name, `object name is longer than ${MAX_NAME_BYTES} bytes`);
  }
  if (!name.isWellFormed()) throw invalid(name, 'object name is not valid Unicode');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(name)) {
    throw invalid(name, 'object name contains a control character');
  }
  if (name.includes('\\')) throw invalid(name, 'object name contains a backslash');
  if (name.startsWith('/')) throw invalid(name, 'object name must not start with "/"');
  if (name.endsWith('/')) throw invalid(name, 'object name must not end with "/"');
  for (const segment of name.split('/')) {
    if (segment === '') throw invalid(name, 'object name contains an empty segment ("//")');
    if (segment === '.' || segment === '..') {
      throw invalid(name, `object name contains a "${segment}" segment`);
    }
  }
}

/** Validates a listing prefix or bound: like a name, but may be empty or end with '/'. */
export function validateNamePrefix(prefix: unknown, what: string): asserts prefix is string {
  if (typeof prefix !== 'string') throw invalid(String(prefix), `${what} must be a string`);
  if (prefix === '') return;
  validateObjectName(prefix.endsWith('/') ? `${prefix}x` : prefix);
}

function invalid(name: string, reason: string): CascadeError {
  const shown = JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name);
  return new CascadeError('INVALID_NAME', `${reason}: ${shown}`, { details: { reason } });
}
