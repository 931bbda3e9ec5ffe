import { mkdir } from 'node:fs/promises';
import { PubSub } from '@google-cloud/pubsub';
import { loadConfig } from '../../config/index.ts';
import { googleClientOptions, resolveCredentials } from '../../credentials/index.ts';
import { CascadeError } from '../../errors.ts';
import { openConfiguredStore } from '../../ingest/index.ts';
import { createCloudLogger } from '../../observability/index.ts';
import type { ObjectStore } from '../../storage/index.ts';
import { type PubSubEmulator, startPubSubEmulator } from '../pubsub-emulator/index.ts';
import { renderBanner } from './banner.ts';
import { type DemoPublisher, startDemoPublisher } from './demo-publisher.ts';
import { functionEnv, pushAuthPlan, pushEndpoint, resourceNames } from './function-env.ts';
import { watchLog } from './log-progress.ts';
import type { StackOptions } from './options.ts';
import { checkPortsFree, type WantedPort } from './ports.ts';
import { ensurePushSubscription } from './pubsub-setup.ts';
import { startSchedulerTimer } from './scheduler-timer.ts';
import { type SupervisedFunction, superviseFunction } from './supervisor.ts';

/** What the stack prints through and inherits from its own process. */
export interface StackIo {
  print(line: string): void;
  /** PATH and HOME for the function processes. */
  env: { PATH?: string; HOME?: string };
}

/** A running local stack. */
export interface RunningStack {
  /** The function processes, by name (ingest, api, scheduler). */
  readonly functions: ReadonlyMap<string, SupervisedFunction>;
  /** Resolves with the exit code once the stack has stopped, whoever stopped it. */
  readonly stopped: Promise<number>;
  /** Stops everything in order: publishers, functions (flushing), then Pub/Sub. */
  stop(exitCode?: number): Promise<number>;
}

const PROGRESS_INTERVAL_MS = 5000;

function wantedPorts(options: StackOptions): WantedPort[] {
  const ports: WantedPort[] = [];
  if (options.pubsub.kind === 'local') {
    ports.push({ what: 'Pub/Sub emulator', port: options.ports.pubsub, flag: '--pubsub-port' });
  }
  ports.push(
    { what: 'ingest function', port: options.ports.ingest, flag: '--ingest-port' },
    { what: 'api function', port: options.ports.api, flag: '--api-port' },
    { what: 'scheduler function', port: options.ports.scheduler, flag: '--scheduler-port' },
  );
  return ports;
}

/**
 * Creates the bucket on a Cloud Storage emulator (a fresh one has none) with
 * one JSON API call; 409 means it is there already. A plain request because
 * the Storage client mixes STORAGE_EMULATOR_HOST into its own endpoint.
 */
async function ensureEmulatorBucket(bucket: string, emulatorHost: string, projectId: string) {
  const base = (/^https?:\/\//.test(emulatorHost) ? emulatorHost : `http://${emulatorHost}`)
    .replace(/\/+$/, '')
    .replace(/\/storage\/v1$/, '');
  let status: number;
  try {
    const response = await fetch(`${base}/storage/v1/b?project=${encodeURIComponent(projectId)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: bucket }),
      signal: AbortSignal.timeout(30_000),
    });
    await response.arrayBuffer();
    status = response.status;
  } catch (error) {
    throw new CascadeError('UNAVAILABLE', `STORAGE_EMULATOR_HOST=${emulatorHost} does not answer`, {
      retryable: false,
      cause: error,
    });
  }
  if (status !== 200 && status !== 409) {
    throw new CascadeError(
      'UNAVAILABLE',
      `could not create bucket ${bucket} on ${base}: HTTP ${status}`,
      {
        retryable: false,
      },
    );
  }
}

/**
 * Starts the whole pipeline on this machine: the Pub/Sub emulator (unless
 * another one or real Pub/Sub is used), the ingest, api and scheduler
 * functions as supervised processes configured only through environment
 * variables, the demo topic and push subscription, the scheduler timer, the
 * offset printer and, with `--demo`, a synthetic publisher. Anything started
 * is stopped again if a later step fails.
 *
 * @example
 * const stack = await startStack(parseStackOptions(argv, env, cwd), { print: console.log, env });
 * process.once('SIGINT', () => void stack.stop());
 * process.exitCode = await stack.stopped;
 */
export async function startStack(options: StackOptions, io: StackIo): Promise<RunningStack> {
  const cleanups: (() => Promise<unknown>)[] = [];
  const functions = new Map<string, SupervisedFunction>();
  let finish: (code: number) => void = () => {};
  const stopped = new Promise<number>((done) => {
    finish = done;
  });
  let stopping: Promise<number> | undefined;
  const stop = (exitCode = 0): Promise<number> => {
    stopping ??= (async () => {
      const started = cleanups.length > 0;
      if (started) io.print('[stack] stopping: flushing pending batches, then stopping Pub/Sub');
      let code = exitCode;
      // Newest first: publishers, functions, then the emulator they depend on.
      for (const cleanup of cleanups.reverse()) {
        try {
          await cleanup();
        } catch (error) {
          io.print(`[stack] while stopping: ${(error as Error).message}`);
          code = code === 0 ? 1 : code;
        }
      }
      if (started) io.print('[stack] stopped');
      finish(code);
      return code;
    })();
    return stopping;
  };

  try {
    await checkPortsFree(options.host, wantedPorts(options));
    if (options.storage.kind === 'fs') await mkdir(options.storage.dataDir, { recursive: true });

    let emulator: PubSubEmulator | undefined;
    if (options.pubsub.kind === 'local') {
      emulator = await startPubSubEmulator({
        host: options.host,
        port: options.ports.pubsub,
        logger: createCloudLogger({
          level: options.logLevel,
          destination: { write: (line: string) => io.print(`[pubsub] ${line.trimEnd()}`) },
        }),
      });
      const running = emulator;
      cleanups.push(() => running.stop());
    }
    const auth = pushAuthPlan(options, emulator?.certsUrl);
    const env = functionEnv(options, auth, io.env);
    // The functions parse the same environment; parsing it here first fails fast with every problem.
    const config = loadConfig(env);
    if (options.storage.kind === 'gcs' && options.storage.emulatorHost !== undefined) {
      await ensureEmulatorBucket(
        options.storage.bucket,
        options.storage.emulatorHost,
        options.projectId,
      );
    }

    const fatal = (error: CascadeError): void => {
      io.print(`[stack] ${error.message}`);
      void stop(1);
    };
    const ports = {
      ingest: options.ports.ingest,
      api: options.ports.api,
      scheduler: options.ports.scheduler,
    };
    for (const [name, port] of Object.entries(ports)) {
      const fn = superviseFunction({
        name,
        target: name,
        host: options.host,
        port,
        env,
        print: io.print,
        onFatal: fatal,
      });
      functions.set(name, fn);
      cleanups.push(async () => {
        const code = await fn.stop();
        if (code !== 0 && code !== null) throw new Error(`${name} exited with code ${code}`);
      });
    }
    await Promise.all([...functions.values()].map((fn) => fn.ready));

    const credentials = await resolveCredentials(config.credentials, {
      projectId: options.projectId,
    });
    const clientOptions = googleClientOptions(credentials);
    const pubsubHost =
      emulator?.host ?? (options.pubsub.kind === 'emulator' ? options.pubsub.host : undefined);
    const pubsub = new PubSub({
      ...clientOptions,
      projectId: options.projectId,
      ...(pubsubHost === undefined ? {} : { apiEndpoint: pubsubHost, emulatorMode: true }),
    });
    cleanups.push(() => pubsub.close());
    const names = resourceNames(options);
    const endpoint = pushEndpoint(options);
    await ensurePushSubscription(pubsub, {
      topic: names.topic,
      subscription: names.subscription,
      endpoint,
      auth,
    });

    const urls = {
      ingest: functions.get('ingest')?.url ?? '',
      api: functions.get('api')?.url ?? '',
      scheduler: functions.get('scheduler')?.url ?? '',
    };
    if (options.schedulerIntervalMs > 0) {
      const timer = startSchedulerTimer({
        url: urls.scheduler,
        intervalMs: options.schedulerIntervalMs,
        print: io.print,
      });
      cleanups.push(() => timer.stop());
    }

    const store: ObjectStore = await openConfiguredStore(config.storage, clientOptions);
    cleanups.push(() => store.close());
    let demo: DemoPublisher | undefined;
    const stream = config.streams[0];
    if (stream !== undefined) {
      const watcher = watchLog({
        store,
        stream,
        intervalMs: PROGRESS_INTERVAL_MS,
        print: io.print,
        ...(options.demo
          ? { demo: () => ({ published: demo?.published() ?? 0, failed: demo?.failed() ?? 0 }) }
          : {}),
      });
      cleanups.push(() => watcher.stop());
    }

    io.print(
      renderBanner({
        options,
        ...(pubsubHost === undefined ? {} : { pubsubHost }),
        ...(emulator === undefined ? {} : { certsUrl: emulator.certsUrl }),
        pushEndpoint: endpoint,
        auth,
        topic: names.topic,
        subscription: names.subscription,
        urls,
      }),
    );
    if (options.demo) {
      const publisher = startDemoPublisher({
        pubsub,
        topic: options.stream.topic,
        rate: options.demoRate,
        onError: (line) => io.print(`[demo] ${line}`),
      });
      demo = publisher;
      cleanups.push(() => publisher.stop());
    }
  } catch (error) {
    await stop(1);
    throw error;
  }
  return { functions, stopped, stop };
}
