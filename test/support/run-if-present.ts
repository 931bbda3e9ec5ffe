// Runs `node --test` over a test tier's folder, or says plainly that the tier
// has no tests yet (node --test with a glob that matches nothing would fail
// with a confusing message).
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
if (!dir) throw new Error('usage: run-if-present.ts <test folder>');

function hasTests(folder: string): boolean {
  return readdirSync(folder, { withFileTypes: true }).some((entry) =>
    entry.isDirectory() ? hasTests(join(folder, entry.name)) : entry.name.endsWith('.test.ts'),
  );
}

if (!hasTests(dir)) {
  console.log(`${dir}: no tests in this tier yet`);
  process.exit(0);
}
const result = spawnSync(
  process.execPath,
  ['--test', '--test-concurrency=1', '--test-reporter=spec', `${dir}/**/*.test.ts`],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
