// Runs Cascade's functions the way Cloud Run does: a real functions-framework
// process (its own CLI, `--source` = the repository, so package.json "main"
// and functions/index.ts are what load) on a loopback port, configured only
// through environment variables. Used by the ingest integration tests and
// by bench/ingest.ts.
import { type ChildProcess, spawn } from 'node:child_process';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const FRAMEWORK = fileURLToPath(
  new URL(
    '../../../node_modules/@google-cloud/functions-framework/build/src/main.js',
    import.meta.url,
  ),
);

export interface FunctionProcess {
  readonly url: string;
  readonly port: number;
  /** The last lines the process printed (bounded), for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

export interface StartFunctionOptions {
  target: string;
  signatureType?: 'http' | 'cloudevent';
  env: Record<string, string>;
  /** Module to load instead of the repository's main (e.g. a no-op handler for a baseline). */
  source?: string;
  readyTimeoutMs?: number;
}

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

function probe(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'GET', timeout: 1000 }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

/** Starts a function process and waits until it answers HTTP. */
export async function startFunction(options: StartFunctionOptions): Promise<FunctionProcess> {
  const port = await freeLoopbackPort();
  const url = `http://127.0.0.1:${port}`;
  const lines: string[] = [];
  const child: ChildProcess = spawn(
    process.execPath,
    [
      FRAMEWORK,
      `--target=${options.target}`,
      `--signature-type=${options.signatureType ?? 'http'}`,
      `--port=${port}`,
      `--source=${options.source ?? REPO}`,
    ],
    {
      cwd: REPO,
      // A clean environment: nothing from the developer's shell leaks in.
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        NODE_ENV: 'test',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line) lines.push(line.slice(0, 2000));
    }
    if (lines.length > 200) lines.splice(0, lines.length - 200);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited: number | null | undefined;
  const exit = new Promise<void>((resolve) => {
    child.on('exit', (code) => {
      exited = code;
      resolve();
    });
  });
  const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
  while (!(await probe(url))) {
    if (exited !== undefined) {
      throw new Error(
        `function ${options.target} exited with ${exited} before serving:\n${lines.join('\n')}`,
      );
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`function ${options.target} did not answer on ${url}:\n${lines.join('\n')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    port,
    output: () => lines.join('\n'),
    async stop() {
      if (exited === undefined) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exit;
        clearTimeout(timer);
      }
    },
  };
}

/** Waits for a process that is expected to fail at start, returning its exit code and output. */
export async function runUntilExit(
  options: StartFunctionOptions,
  timeoutMs = 30_000,
): Promise<{ code: number | null; output: string }> {
  const port = await freeLoopbackPort();
  const child = spawn(
    process.execPath,
    [
      FRAMEWORK,
      `--target=${options.target}`,
      `--port=${port}`,
      `--source=${options.source ?? REPO}`,
    ],
    {
      cwd: REPO,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (c: Buffer) => {
    output += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    output += c.toString();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  clearTimeout(timer);
  return { code, output };
}
