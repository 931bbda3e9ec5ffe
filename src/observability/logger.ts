/**
 * The one logging interface Cascade's code depends on. It has pino's call
 * shape (`logger.info({ fields }, 'message')`) so a pino instance configured
 * for Cloud Logging satisfies it; tests pass {@link noopLogger} or a capturing
 * logger. Never log a secret or a message payload.
 */
export interface Logger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
  child(fields: Record<string, unknown>): Logger;
}

/** A logger that drops everything. */
export const noopLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return noopLogger;
  },
};
