/** Tuning of the commit loop that is not part of a stream's configuration. */
export interface AppenderTuning {
  /** Lost races per batch before the append fails with CONTENTION. */
  maxLostRaces: number;
  /** Consecutive storage failures per batch before the append fails. */
  maxStorageRetries: number;
  /** First backoff after a storage failure; doubles each time, full jitter. */
  retryBaseMs: number;
  /** Head hint writes per process and partition are at least this far apart. */
  hintIntervalMs: number;
}

/** The production defaults. */
export const DEFAULT_TUNING: AppenderTuning = {
  maxLostRaces: 200,
  maxStorageRetries: 6,
  retryBaseMs: 25,
  hintIntervalMs: 1000,
};

/** Counters for benchmarks and logs. */
export interface AppenderStats {
  /** Successful creates. */
  commits: number;
  /** Creates tried, lost races included. */
  attempts: number;
  lostRaces: number;
  records: number;
  duplicates: number;
  /** Head hint writes started. */
  hintWrites: number;
}

/** Zeroed counters. */
export function emptyStats(): AppenderStats {
  return { commits: 0, attempts: 0, lostRaces: 0, records: 0, duplicates: 0, hintWrites: 0 };
}
