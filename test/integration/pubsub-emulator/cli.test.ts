import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { PubSub } from '@google-cloud/pubsub';

const MAIN = fileURLToPath(new URL('../../../src/local/pubsub-emulator/main.ts', import.meta.url));

/** Starts the CLI on a free port and resolves to the PUBSUB_EMULATOR_HOST value it prints. */
async function startCli(child: ChildProcess): Promise<string> {
  let output = '';
  const deadline = setTimeout(() => child.kill('SIGKILL'), 30_000);
  try {
    for await (const chunk of child.stdout!) {
      output += String(chunk);
      const match = /PUBSUB_EMULATOR_HOST=(\S+)/.exec(output);
      if (match) return match[1]!;
    }
  } finally {
    clearTimeout(deadline);
  }
  throw new Error(`the emulator CLI exited without printing its address:\n${output}`);
}

describe('standalone emulator (main.ts)', () => {
  const child = spawn(process.execPath, [MAIN, '--port', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });

  it('serves the official client through PUBSUB_EMULATOR_HOST and stops on SIGINT', async () => {
    // Prepare: the environment variable route, as users of the emulator set it up.
    const host = await startCli(child);
    process.env.PUBSUB_EMULATOR_HOST = host;
    process.env.METADATA_SERVER_DETECTION ??= 'none';
    const pubsub = new PubSub({ projectId: 'cli-project' });

    // Act
    const [topic] = await pubsub.createTopic('cli-topic');
    const [subscription] = await topic.createSubscription('cli-sub');
    const id = await topic.publishMessage({ data: Buffer.from('hello') });
    const received = await new Promise<string>((resolve, reject) => {
      subscription.once('error', reject);
      subscription.once('message', (message) => {
        message.ack();
        resolve(message.id);
      });
    });
    await subscription.close();
    await pubsub.close();
    child.kill('SIGINT');
    const [code] = await once(child, 'exit');

    // Assess
    assert.equal(pubsub.isEmulator, true);
    assert.equal(received, id);
    assert.equal(code, 0);
  });
});
