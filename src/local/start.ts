// `npm start` (node src/local/start.ts [options]): the whole pipeline on this
// machine with no cloud account. See `npm start -- --help` and src/local/stack.
import { CascadeError } from '../errors.ts';
import { parseStackOptions, type RunningStack, startStack, USAGE } from './stack/index.ts';

function describe(error: unknown): string {
  if (error instanceof CascadeError && error.code === 'INVALID_CONFIG') {
    const problems = (error.details.problems ?? []) as {
      name: string;
      got: string;
      expected: string;
    }[];
    return [
      error.message,
      ...problems.map((p) => `  ${p.name}: got ${p.got}, expected ${p.expected}`),
    ].join('\n');
  }
  return error instanceof Error ? error.message : String(error);
}

async function main(): Promise<number> {
  // The one place the local stack reads the process's globals; everything below takes parameters.
  const options = parseStackOptions(process.argv.slice(2), process.env, process.cwd());
  if (options.help) {
    console.log(USAGE);
    return 0;
  }
  if (options.pubsub.kind !== 'gcp') {
    // With an emulator the Google clients still ask the GCE metadata server for
    // their universe domain; there is none on a laptop, so skip the lookup and its warning.
    process.env.METADATA_SERVER_DETECTION ??= 'none';
  }
  const print = (line: string): void => {
    console.log(line);
  };
  let stack: RunningStack | undefined;
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) {
      // A second Ctrl-C: the user does not want to wait for the flush.
      console.error(`[stack] ${signal} again: exiting without waiting`);
      process.exit(130);
    }
    if (stack === undefined) {
      console.error(`[stack] ${signal} while starting: stopping`);
      return;
    }
    void stack.stop(0);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  stack = await startStack(options, {
    print,
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
  });
  if (signals > 0) void stack.stop(0);
  return stack.stopped;
}

main().then(
  (code) => {
    process.exit(code);
  },
  (error: unknown) => {
    console.error(`npm start: ${describe(error)}`);
    process.exit(1);
  },
);
