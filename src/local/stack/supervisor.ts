import { type ChildProcess, spawn } from 'node:child_process';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { CascadeError } from '../../errors.ts';

const HOST_SCRIPT = fileURLToPath(new URL('./function-host.ts', import.meta.url));

/** How a supervised function is started. */
export interface FunctionSpec {
  /** Label in the stack's output, e.g. `ingest`. */
  name: string;
  /** functions-framework target. */
  target: string;
  host: string;
  port: number;
  /** The process's whole environment (nothing else leaks in). */
  env: Record<string, string>;
  /** Prints one line of the stack's own output. */
  print: (line: string) => void;
  /** Called when the function cannot be kept running (crash loop). */
  onFatal: (error: CascadeError) => void;
  readyTimeoutMs?: number;
}

/** A function process the stack keeps alive. */
export interface SupervisedFunction {
  readonly name: string;
  readonly url: string;
  /** Current process id (changes across restarts). */
  pid(): number | undefined;
  /** Times it was restarted after a crash. */
  restarts(): number;
  /** Resolves once the first process answers HTTP; rejects if it cannot start. */
  readonly ready: Promise<void>;
  /** SIGTERM (clean stop with flush), SIGKILL after the grace period; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

// Crash-restart backoff; a process that stayed up this long resets it.
const FIRST_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 5000;
const HEALTHY_AFTER_MS = 30_000;
// Exits before answering HTTP, in a row, before the stack gives up.
const MAX_FAILED_STARTS = 5;

function probe(url: string): Promise<boolean> {
  return new Promise((done) => {
    const req = request(url, { method: 'GET', timeout: 1000 }, (res) => {
      res.resume();
      done(true);
    });
    req.on('error', () => done(false));
    req.on('timeout', () => {
      req.destroy();
      done(false);
    });
    req.end();
  });
}

/**
 * Runs one function in its own Node process (src/local/stack/function-host.ts,
 * the framework's server) and restarts it when it dies unexpectedly, the way
 * Cloud Run replaces a crashed instance. Output lines are echoed with the
 * function's name in front.
 */
export function superviseFunction(spec: FunctionSpec): SupervisedFunction {
  const url = `http://${spec.host}:${spec.port}/`;
  let child: ChildProcess | undefined;
  let stopping = false;
  let restarts = 0;
  let failedStarts = 0;
  let backoff = FIRST_BACKOFF_MS;
  let everReady = false;
  let tail: string[] = [];
  let exited: Promise<number | null> = Promise.resolve(null);
  let markReady: () => void = () => {};
  let failReady: (error: Error) => void = () => {};
  const ready = new Promise<void>((done, fail) => {
    markReady = done;
    failReady = fail;
  });
  // A caller that never awaits `ready` must not crash the stack with an unhandled rejection.
  ready.catch(() => {});

  const echo = (chunk: Buffer): void => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line === '') continue;
      tail.push(line);
      if (tail.length > 40) tail = tail.slice(-40);
      spec.print(`[${spec.name}] ${line}`);
    }
  };

  const launch = (): void => {
    tail = [];
    const started = Date.now();
    const proc = spawn(
      process.execPath,
      [HOST_SCRIPT, `--target=${spec.target}`, `--port=${spec.port}`, `--host=${spec.host}`],
      { env: spec.env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] },
    );
    child = proc;
    proc.stdout?.on('data', echo);
    proc.stderr?.on('data', echo);
    exited = new Promise((done) => {
      proc.once('exit', (code, signal) => {
        child = undefined;
        done(code);
        if (stopping) return;
        const how = signal ? `killed by ${signal}` : `exited with code ${code}`;
        const wasUp = Date.now() - started;
        if (!everReady || wasUp < 1000) failedStarts++;
        else failedStarts = 0;
        if (wasUp > HEALTHY_AFTER_MS) backoff = FIRST_BACKOFF_MS;
        if (failedStarts >= MAX_FAILED_STARTS || (!everReady && code !== null && code !== 0)) {
          const error = new CascadeError(
            'UNAVAILABLE',
            `${spec.name} ${how} before serving:\n${tail.join('\n')}`,
            { retryable: false, details: { function: spec.name } },
          );
          failReady(error);
          spec.onFatal(error);
          return;
        }
        spec.print(`[stack] ${spec.name} ${how}; restarting in ${backoff} ms`);
        const wait = backoff;
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
        setTimeout(() => {
          if (stopping) return;
          restarts++;
          launch();
          void waitReady(Date.now() + (spec.readyTimeoutMs ?? 60_000));
        }, wait).unref();
      });
    });
    // The IPC channel exists only so the child notices when we die; keep it from holding us.
    proc.channel?.unref();
  };

  const waitReady = async (deadline: number): Promise<void> => {
    const me = child;
    while (!stopping && child === me && child !== undefined) {
      if (await probe(url)) {
        if (!everReady) spec.print(`[stack] ${spec.name} ready at ${url} (pid ${child?.pid})`);
        else spec.print(`[stack] ${spec.name} back at ${url} (pid ${child?.pid})`);
        everReady = true;
        markReady();
        return;
      }
      if (Date.now() > deadline) {
        child?.kill('SIGKILL');
        const error = new CascadeError(
          'UNAVAILABLE',
          `${spec.name} did not answer on ${url} in time:\n${tail.join('\n')}`,
          { retryable: false },
        );
        failReady(error);
        return;
      }
      await new Promise((done) => setTimeout(done, 100));
    }
  };

  launch();
  void waitReady(Date.now() + (spec.readyTimeoutMs ?? 60_000));

  return {
    name: spec.name,
    url,
    pid: () => child?.pid,
    restarts: () => restarts,
    ready,
    async stop(graceMs = 12_000) {
      stopping = true;
      const proc = child;
      if (proc === undefined) return exited;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
