// One function process of the local stack:
//   node src/local/stack/function-host.ts --target ingest --port 8080 [--source <dir>]
// It loads the source the way functions-framework's CLI does (package.json
// "main" of --source, which registers the functions), serves --target through
// the framework's own Express server, and reads its configuration only from
// the environment, as on Cloud Run. Unlike the framework's CLI, which exits
// the moment SIGTERM arrives, it stops cleanly: no new connections, pending
// ingest batches flushed (every waiting push answered), then exit 0.
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { getTestServer } from '@google-cloud/functions-framework/testing';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
// Cloud Run's grace period between SIGTERM and SIGKILL.
const GRACE_MS = 10_000;

/** What the source module may export for a clean stop (functions/index.ts does). */
interface SourceModule {
  shutdown?: () => Promise<void>;
}

async function loadSource(dir: string): Promise<SourceModule> {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { main?: string };
  return (await import(pathToFileURL(resolve(dir, pkg.main ?? 'index.js')).href)) as SourceModule;
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((done, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      done();
    });
  });
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      target: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      source: { type: 'string', default: REPO },
    },
  });
  const target = values.target;
  const port = Number(values.port);
  if (!target || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error('usage: function-host.ts --target <name> --port <port> [--source <dir>]');
  }
  const source = await loadSource(values.source);
  const server = getTestServer(target);
  // As the framework's CLI: no socket timeout, a push may wait on a slow commit.
  server.setTimeout(0);
  await listen(server, port, values.host);
  console.log(`function ${target} serving on http://${values.host}:${port}/ (pid ${process.pid})`);

  let stopping = false;
  const stop = (why: string): void => {
    if (stopping) return;
    stopping = true;
    const force = setTimeout(() => {
      console.error(`function ${target}: not stopped within ${GRACE_MS} ms, exiting`);
      process.exit(1);
    }, GRACE_MS);
    force.unref();
    const closed = new Promise<void>((done) => server.close(() => done()));
    void (async () => {
      // Flush first: the answers to waiting pushes go out on their open connections.
      await source.shutdown?.();
      server.closeIdleConnections();
      await Promise.race([closed, new Promise((done) => setTimeout(done, 2000).unref())]);
      server.closeAllConnections();
      console.log(`function ${target} stopped (${why})`);
      process.exit(0);
    })().catch((error: unknown) => {
      console.error(`function ${target}: shutdown failed: ${String(error)}`);
      process.exit(1);
    });
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  // Started by the stack with an IPC channel: when the stack dies, so do we.
  process.once('disconnect', () => stop('parent gone'));
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(
    `function host: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
  );
  process.exit(1);
});
