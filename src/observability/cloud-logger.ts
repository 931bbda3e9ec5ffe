import pino from 'pino';
import type { Logger } from './logger.ts';

/** pino level label → Cloud Logging severity. */
const SEVERITY: Record<string, string> = {
  trace: 'DEBUG',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARNING',
  error: 'ERROR',
  fatal: 'CRITICAL',
};

/**
 * Field names whose values are always replaced, in case a caller logs an
 * object that carries a credential. Never rely on this: log no secrets.
 */
const REDACTED_PATHS = [
  'authorization',
  'token',
  'private_key',
  'credentials',
  '*.authorization',
  '*.token',
  '*.private_key',
  '*.credentials',
];

export interface CloudLoggerOptions {
  level?: 'debug' | 'info' | 'warn' | 'error';
  /** Where lines go; stdout by default (Cloud Run ships stdout to Cloud Logging). */
  destination?: pino.DestinationStream;
  /** Fields on every line, e.g. `{ function: 'ingest' }`. */
  base?: Record<string, unknown>;
}

/**
 * A pino logger whose lines Cloud Logging parses as structured entries:
 * `severity`, `message`, RFC 3339 `time`, and the fields as `jsonPayload`.
 *
 * @example
 * const logger = createCloudLogger({ level: 'info', base: { function: 'ingest' } });
 * logger.info({ stream: 'orders', partition: 0 }, 'batch committed');
 */
export function createCloudLogger(options: CloudLoggerOptions = {}): Logger {
  const config: pino.LoggerOptions = {
    level: options.level ?? 'info',
    messageKey: 'message',
    base: options.base ?? null,
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    formatters: {
      level: (label) => ({ severity: SEVERITY[label] ?? 'DEFAULT' }),
    },
  };
  return options.destination ? pino(config, options.destination) : pino(config);
}
