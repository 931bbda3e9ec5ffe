import { createServer } from 'node:net';
import { CascadeError } from '../../errors.ts';

/** A port the stack is about to listen on, and the flag that changes it. */
export interface WantedPort {
  /** What will listen there, e.g. `ingest function`. */
  what: string;
  port: number;
  flag: string;
}

function tryListen(host: string, port: number): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => done(error));
    server.listen({ port, host, exclusive: true }, () => server.close(() => done(undefined)));
  });
}

/**
 * Checks that every port is free before anything starts, so a taken port
 * fails the whole stack with one clear message instead of a half-started one.
 *
 * @throws CascadeError INVALID_ARGUMENT naming each taken port and its flag.
 */
export async function checkPortsFree(host: string, ports: WantedPort[]): Promise<void> {
  const problems: string[] = [];
  for (const wanted of ports) {
    const error = await tryListen(host, wanted.port);
    if (error === undefined) continue;
    const why =
      error.code === 'EADDRINUSE' ? 'is already in use' : `cannot be used (${error.code})`;
    problems.push(
      `port ${wanted.port} (${wanted.what}) ${why} on ${host}: stop what holds it or pass ${wanted.flag} <port>`,
    );
  }
  if (problems.length > 0) {
    throw new CascadeError('INVALID_ARGUMENT', problems.join('\n'), { retryable: false });
  }
}
