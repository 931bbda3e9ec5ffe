/**
 * Starts something on first use and shares it afterwards; a failed start is
 * forgotten so the next request tries again rather than failing forever.
 */
export function lazy<T>(start: () => Promise<T>): () => Promise<T> {
  let started: Promise<T> | undefined;
  return () => {
    started ??= start().catch((error: unknown) => {
      started = undefined;
      throw error;
    });
    return started;
  };
}
