import type { Logger } from './logger.ts';

/** One captured log call. */
export interface CapturedEntry {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  fields: Record<string, unknown>;
}

/** A logger that remembers every line, for tests that assert on logs. */
export interface CaptureLogger extends Logger {
  readonly entries: CapturedEntry[];
  /** Every entry serialised, for scanning the logs for values that must never appear. */
  text(): string;
}

/**
 * Creates a logger that keeps entries in memory (children share the list
 * and carry their bindings into each entry's fields).
 *
 * @example
 * const logger = createCaptureLogger();
 * logger.child({ stream: 's' }).warn({ reason: 'too large' }, 'quarantined');
 * logger.entries[0]?.fields.stream; // 's'
 */
export function createCaptureLogger(): CaptureLogger {
  const entries: CapturedEntry[] = [];
  const make = (bindings: Record<string, unknown>): Logger => {
    const record =
      (level: CapturedEntry['level']) => (fields: Record<string, unknown>, message: string) => {
        entries.push({ level, message, fields: { ...bindings, ...fields } });
      };
    return {
      debug: record('debug'),
      info: record('info'),
      warn: record('warn'),
      error: record('error'),
      child: (more) => make({ ...bindings, ...more }),
    };
  };
  const root = make({});
  return {
    ...root,
    entries,
    text: () =>
      entries
        .map((e) =>
          JSON.stringify({ level: e.level, message: e.message, fields: e.fields }, (_k, v) =>
            v instanceof Error ? { name: v.name, message: v.message, stack: v.stack } : v,
          ),
        )
        .join('\n'),
  };
}
