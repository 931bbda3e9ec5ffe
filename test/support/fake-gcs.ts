// Starts fake-gcs-server (built by build-tools.ts) for a test file or a
// benchmark, or uses the emulator named by STORAGE_EMULATOR_HOST when that is
// set. Each caller gets its own server on a free loopback port with the
// in-memory backend, so test files never share state.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { ensureFakeGcsServer } from './build-tools.ts';
import { freePort } from './free-port.ts';

export interface FakeGcs {
  /** Base URL to give GcsStore as `apiEndpoint`, e.g. http://127.0.0.1:41234. */
  readonly endpoint: string;
  /** True when this is an external emulator from STORAGE_EMULATOR_HOST. */
  readonly external: boolean;
  /** Creates a bucket (no error if it exists already). */
  createBucket(name: string): Promise<void>;
  /** A fresh bucket with a random name, created. */
  newBucket(prefix?: string): Promise<string>;
  /** Stops the server we started (a no-op for an external emulator). */
  stop(): Promise<void>;
}

export interface StartFakeGcsOptions {
  /** Defaults to process.env; only STORAGE_EMULATOR_HOST is read. */
  env?: Record<string, string | undefined>;
  /** How long to wait for the server to answer. */
  readyTimeoutMs?: number;
}

/**
 * Starts an emulator (or adopts STORAGE_EMULATOR_HOST's) and waits until it
 * answers. Fails with a message saying what is missing — never skips.
 */
export async function startFakeGcs(options: StartFakeGcsOptions = {}): Promise<FakeGcs> {
  const env = options.env ?? process.env;
  const readyTimeoutMs = options.readyTimeoutMs ?? 20_000;
  const external = env.STORAGE_EMULATOR_HOST;
  if (external) {
    const endpoint = normalizeEndpoint(external);
    await waitUntilAnswering(endpoint, readyTimeoutMs, () => undefined).catch((error: unknown) => {
      throw new Error(
        `STORAGE_EMULATOR_HOST=${external} does not answer (${(error as Error).message}); start the emulator or unset the variable`,
      );
    });
    return handle(endpoint, true, async () => {});
  }

  const binary = await ensureFakeGcsServer((line) => console.error(line));
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const endpoint = `http://127.0.0.1:${port}`;
    const child = spawn(
      binary,
      [
        '-backend',
        'memory',
        '-scheme',
        'http',
        '-host',
        '127.0.0.1',
        '-port',
        String(port),
        '-public-host',
        `127.0.0.1:${port}`,
        '-external-url',
        endpoint,
        '-log-level',
        'error',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const output: string[] = [];
    const keep = (chunk: Buffer) => {
      output.push(chunk.toString());
      if (output.length > 50) output.shift();
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    try {
      await waitUntilAnswering(endpoint, readyTimeoutMs, () =>
        child.exitCode !== null || child.signalCode !== null
          ? `fake-gcs-server exited (${child.exitCode ?? child.signalCode}): ${output.join('').trim()}`
          : undefined,
      );
      return handle(endpoint, false, async () => {
        process.removeListener('exit', killOnExit);
        await stopChild(child);
      });
    } catch (error) {
      lastError = error;
      process.removeListener('exit', killOnExit);
      await stopChild(child);
      if (!/address already in use/i.test(String((error as Error).message))) break;
    }
  }
  throw new Error(`could not start fake-gcs-server: ${(lastError as Error)?.message ?? lastError}`);
}

function handle(endpoint: string, external: boolean, stop: () => Promise<void>): FakeGcs {
  const createBucket = async (name: string) => {
    const response = await fetch(`${endpoint}/storage/v1/b?project=cascade-test`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name }),
    });
    await response.arrayBuffer();
    if (!response.ok && response.status !== 409) {
      throw new Error(`creating bucket ${name} on ${endpoint}: HTTP ${response.status}`);
    }
  };
  return {
    endpoint,
    external,
    createBucket,
    async newBucket(prefix = 'cascade-test') {
      const name = `${prefix}-${randomBytes(6).toString('hex')}`;
      await createBucket(name);
      return name;
    },
    stop,
  };
}

/** Accepts "host:port", "http://host:port" or "http://host:port/storage/v1". */
export function normalizeEndpoint(value: string): string {
  const withScheme = /^https?:\/\//.test(value) ? value : `http://${value}`;
  return withScheme.replace(/\/+$/, '').replace(/\/storage\/v1$/, '');
}

async function waitUntilAnswering(
  endpoint: string,
  timeoutMs: number,
  failed: () => string | undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const reason = failed();
    if (reason) throw new Error(reason);
    try {
      const response = await fetch(`${endpoint}/storage/v1/b?project=cascade-test`, {
        signal: AbortSignal.timeout(1000),
      });
      await response.arrayBuffer();
      if (response.ok) return;
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no answer from ${endpoint} within ${timeoutMs} ms (last: ${last})`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}
