// Runs the emulator standalone:
//   node src/local/pubsub-emulator/main.ts [--host 127.0.0.1] [--port 8085] [--certs-port 0]
// and prints the PUBSUB_EMULATOR_HOST value and the push-token certificate URLs.
import { parseArgs } from 'node:util';
import { startPubSubEmulator } from './start.ts';

function portOf(value: string | undefined, flag: string): number {
  const port = Number(value ?? '0');
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`${flag} must be a port number (0-65535), got ${value}`);
  }
  return port;
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '8085' },
      'certs-port': { type: 'string', default: '0' },
    },
  });
  const emulator = await startPubSubEmulator({
    host: values.host,
    port: portOf(values.port, '--port'),
    certsPort: portOf(values['certs-port'], '--certs-port'),
  });
  console.log(
    [
      'Cascade Pub/Sub emulator running.',
      `  export PUBSUB_EMULATOR_HOST=${emulator.host}`,
      `  push token certs (PEM): ${emulator.certsUrl}`,
      `  push token certs (JWKS): ${emulator.jwksUrl}`,
      `  push token issuer: ${emulator.issuer}`,
      'Ctrl-C stops it.',
    ].join('\n'),
  );
  const stop = (): void => {
    void emulator.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(`pubsub emulator: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
