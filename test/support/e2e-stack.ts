// Runs `npm start` the way a user does (node src/local/start.ts, a child
// process in its own process group) for the end-to-end tests, and reads what
// it prints. Kill the group at the end and on failure: no orphans.
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

export interface StackPorts {
  pubsub: number;
  ingest: number;
  api: number;
  scheduler: number;
}

export interface StackProcess {
  readonly pid: number;
  readonly ports: StackPorts;
  /** Everything printed so far (stdout and stderr, in arrival order). */
  output(): string;
  /** Resolves with the first match of `pattern` in the output at or after `from` characters. */
  waitFor(pattern: RegExp, timeoutMs: number, from?: number): Promise<RegExpMatchArray>;
  /** Exit code (null when killed by a signal), once it has exited. */
  readonly exited: Promise<number | null>;
  /** Sends `signal` to the whole process group, as a terminal's Ctrl-C does. */
  signalGroup(signal: NodeJS.Signals): void;
  /** SIGKILLs the whole group if anything of it is still running. */
  kill(): void;
}

/** Distinct free loopback ports. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((done, fail) => {
          const server = createServer();
          server.once('error', fail);
          server.listen(0, '127.0.0.1', () => done(server));
        }),
    ),
  );
  const ports = servers.map((s) => {
    const address = s.address();
    if (address === null || typeof address !== 'object') throw new Error('no port');
    return address.port;
  });
  await Promise.all(servers.map((s) => new Promise((done) => s.close(done))));
  return ports;
}

/** Starts the stack with every port and the data folder given by flags. */
export async function startStackProcess(options: {
  dataDir: string;
  args?: string[];
  env?: Record<string, string>;
}): Promise<StackProcess> {
  const [pubsub, ingest, api, scheduler] = await freePorts(4);
  const ports = { pubsub, ingest, api, scheduler } as StackPorts;
  const child: ChildProcess = spawn(
    process.execPath,
    [
      'src/local/start.ts',
      `--data-dir=${options.dataDir}`,
      `--pubsub-port=${ports.pubsub}`,
      `--ingest-port=${ports.ingest}`,
      `--api-port=${ports.api}`,
      `--scheduler-port=${ports.scheduler}`,
      ...(options.args ?? []),
    ],
    {
      cwd: REPO,
      detached: true,
      // Nothing from the developer's shell (PUBSUB_EMULATOR_HOST, …) leaks in.
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  if (child.pid === undefined) throw new Error('could not start the stack');
  const pid = child.pid;
  let text = '';
  const waiters = new Set<() => void>();
  const take = (chunk: Buffer): void => {
    text += chunk.toString('utf8');
    for (const wake of waiters) wake();
  };
  child.stdout?.on('data', take);
  child.stderr?.on('data', take);
  let done = false;
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      done = true;
      for (const wake of waiters) wake();
      resolve(code);
    });
  });
  const signalGroup = (signal: NodeJS.Signals): void => {
    try {
      process.kill(-pid, signal);
    } catch {
      // The group is gone already.
    }
  };
  return {
    pid,
    ports,
    output: () => text,
    exited,
    signalGroup,
    kill: () => signalGroup('SIGKILL'),
    waitFor(pattern, timeoutMs, from = 0) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const match = text.slice(from).match(pattern);
          if (match) {
            finish();
            resolve(match);
            return true;
          }
          if (done) {
            finish();
            reject(new Error(`stack exited before printing ${pattern}:\n${text.slice(-4000)}`));
            return true;
          }
          return false;
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${text.slice(-4000)}`));
        }, timeoutMs);
        const wake = (): void => {
          check();
        };
        const finish = (): void => {
          clearTimeout(timer);
          waiters.delete(wake);
        };
        if (!check()) waiters.add(wake);
      });
    },
  };
}
