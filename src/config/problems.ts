import type { z } from 'zod';

/** One thing wrong with the configuration: where, what was there, what was expected. */
export interface ConfigProblem {
  name: string;
  got: string;
  expected: string;
}

/** Describes a value for an error message without echoing secrets or huge strings. */
export function describeValue(value: unknown, secret: boolean): string {
  if (value === undefined) return 'nothing (unset)';
  if (typeof value === 'string') {
    if (secret) return `a secret string of ${value.length} characters`;
    return value.length > 80 ? `${JSON.stringify(value.slice(0, 77))}…` : JSON.stringify(value);
  }
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = root;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/** Turns zod issues into problems named after the variable (and path inside a document). */
export function problemsFromIssues(
  issues: readonly z.core.$ZodIssue[],
  input: unknown,
  options: { prefix?: string; isSecret?: (name: string) => boolean } = {},
): ConfigProblem[] {
  return issues.map((issue) => {
    const path = issue.path.map((part) => (typeof part === 'number' ? `[${part}]` : String(part)));
    const joined = path.join('.').replaceAll('.[', '[');
    const name = options.prefix
      ? joined
        ? `${options.prefix}: ${joined}`
        : options.prefix
      : joined;
    const secret = options.isSecret?.(String(issue.path[0] ?? '')) ?? false;
    return {
      name,
      got: describeValue(valueAt(input, issue.path), secret),
      expected: issue.message,
    };
  });
}
