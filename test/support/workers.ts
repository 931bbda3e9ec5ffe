// Spawns store-worker.ts children (with process.execPath) and coordinates
// them: wait until every child is ready, start them together, collect results.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ObjectStore } from '../../src/storage/index.ts';
import { serveStore } from './store-spec.ts';
import type { WorkerCommand } from './store-worker.ts';

const workerScript = fileURLToPath(new URL('./store-worker.ts', import.meta.url));

export interface Worker {
  readonly child: ChildProcess;
  /** Resolves when the child has opened its store. */
  readonly ready: Promise<void>;
  /** Resolves with the command's result; rejects if the child fails or exits first. */
  readonly result: Promise<unknown>;
  go(): void;
}

export interface SpawnOptions {
  /** The parent's store, served over IPC to a child whose spec is {kind:'ipc'}. */
  serve?: ObjectStore;
  nodeArgs?: string[];
}

export function spawnWorker(command: WorkerCommand, options: SpawnOptions = {}): Worker {
  const child = spawn(
    process.execPath,
    [...(options.nodeArgs ?? []), workerScript, JSON.stringify(command)],
    {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  if (command.spec.kind === 'ipc') {
    if (!options.serve) throw new Error('an ipc worker needs a store to serve');
    serveStore(child, options.serve);
  }
  let onReady!: () => void;
  const ready = new Promise<void>((resolve) => {
    onReady = resolve;
  });
  const result = new Promise<unknown>((resolve, reject) => {
    child.on('message', (message: { type?: string; value?: unknown; message?: string }) => {
      if (message?.type === 'ready') onReady();
      else if (message?.type === 'result') resolve(message.value);
      else if (message?.type === 'failed') reject(new Error(`worker failed: ${message.message}`));
    });
    child.on('exit', (code, signal) =>
      reject(new Error(`worker exited (${signal ?? code}) before answering`)),
    );
    child.on('error', reject);
  });
  result.catch(() => {});
  ready.catch(() => {});
  return {
    child,
    ready: Promise.race([ready, result.then(() => undefined)]),
    result,
    go: () => child.send({ type: 'go' }),
  };
}

/** Runs commands in parallel children that all start at the same moment. */
export async function runTogether(
  commands: WorkerCommand[],
  options: SpawnOptions = {},
): Promise<unknown[]> {
  const workers = commands.map((command) => spawnWorker(command, options));
  try {
    await Promise.all(workers.map((w) => w.ready));
    for (const w of workers) w.go();
    return await Promise.all(workers.map((w) => w.result));
  } finally {
    for (const w of workers) if (w.child.exitCode === null) w.child.kill();
  }
}

/** Waits for a child to exit. */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}
