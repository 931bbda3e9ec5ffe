// Builds the test tools from source into a git-ignored cache, once, and
// reuses them: today that is fake-gcs-server, the Cloud Storage emulator the
// storage conformance suite and the benchmarks talk to.
//
// Why from source: the only registries our machines reach are npm, Debian
// and the Go module proxy, so there is no prebuilt binary to download. We
// fetch the module with `go mod download`, copy it into the cache, apply our
// own small patch (fake-gcs-server-delete-preconditions.patch: DELETE honours
// ifGenerationMatch) and `go build`. The cache folder is keyed by version and
// patch hash, so changing either rebuilds.
//
// Why v1.56.1 (2026-08-24): the first tag that enforces ifGenerationMatch on
// multipart, media (simple) and resumable uploads. Deletes were fixed upstream
// only after that tag, and the module proxy serves tags only — hence the patch.
//
// When STORAGE_EMULATOR_HOST is set, that emulator is used and nothing is
// built. When Go is missing or the build fails, this fails loudly.
//
// Run: `npm run tools` (also run by test:integration and bench:store).
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { cp, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FAKE_GCS_MODULE = 'github.com/fsouza/fake-gcs-server';
export const FAKE_GCS_VERSION = 'v1.56.1';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..');
const patchFile = join(here, 'fake-gcs-server-delete-preconditions.patch');

/** The folder that holds built tools (git-ignored). */
export const toolsCacheDir = join(repoRoot, '.cache', 'tools');

/** Thrown when a tool cannot be built; the message says what is missing. */
export class ToolBuildError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ToolBuildError';
  }
}

/**
 * Returns the path of a built, patched fake-gcs-server binary, building it
 * first if the cache does not have it yet.
 */
export async function ensureFakeGcsServer(log: (line: string) => void = () => {}): Promise<string> {
  const patch = await readFile(patchFile, 'utf8');
  const key = `${FAKE_GCS_VERSION}-${createHash('sha256').update(patch).digest('hex').slice(0, 12)}`;
  const folder = join(toolsCacheDir, 'fake-gcs-server', key);
  const binary = join(folder, 'fake-gcs-server');
  if (await exists(binary)) return binary;

  await requireGo();
  log(`building ${FAKE_GCS_MODULE}@${FAKE_GCS_VERSION} (patched) into ${folder} …`);
  const started = Date.now();
  const work = join(folder, `build-${randomBytes(4).toString('hex')}`);
  await mkdir(work, { recursive: true });
  try {
    // A throwaway module lets `go mod download` run outside any Go module.
    const downloaded = await run(
      'go',
      ['mod', 'download', '-json', `${FAKE_GCS_MODULE}@${FAKE_GCS_VERSION}`],
      work,
    );
    let moduleDir: string;
    try {
      moduleDir = JSON.parse(downloaded).Dir;
    } catch (error) {
      throw new ToolBuildError(`go mod download printed no module folder: ${downloaded}`, {
        cause: error,
      });
    }
    const source = join(work, 'src');
    await cp(moduleDir, source, { recursive: true });
    await makeWritable(source);
    await applyUnifiedDiff(source, patch);
    const output = join(work, 'fake-gcs-server');
    // -buildvcs=false: the copy sits inside our own git work tree, whose
    // history has nothing to do with the emulator's.
    await run('go', ['build', '-buildvcs=false', '-trimpath', '-o', output, '.'], source);
    await rename(output, binary);
    await writeFile(
      join(folder, 'build-info.json'),
      `${JSON.stringify({ module: FAKE_GCS_MODULE, version: FAKE_GCS_VERSION, patch: patchFile, builtAt: new Date().toISOString() }, null, 2)}\n`,
    );
    log(`built fake-gcs-server in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return binary;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function requireGo(): Promise<void> {
  try {
    await run('go', ['version'], repoRoot);
  } catch (error) {
    throw new ToolBuildError(
      'The Go toolchain (`go`, 1.26 or newer) is needed to build fake-gcs-server, the Cloud Storage ' +
        'emulator used by the integration tests and benchmarks, and it was not found on PATH. ' +
        'Install Go, or point STORAGE_EMULATOR_HOST at an already running emulator ' +
        '(e.g. STORAGE_EMULATOR_HOST=http://127.0.0.1:4443).',
      { cause: error },
    );
  }
}

/**
 * Applies a unified diff strictly: every hunk's old lines must match the file
 * exactly at the stated position, or the build stops (a changed upstream
 * source must never be patched approximately). Text before the first `---`
 * line is commentary.
 */
export async function applyUnifiedDiff(root: string, diff: string): Promise<void> {
  const lines = diff.split('\n');
  let i = lines.findIndex((line) => line.startsWith('--- '));
  if (i < 0) throw new ToolBuildError('patch has no file header');
  while (i < lines.length && lines[i]?.startsWith('--- ')) {
    const target = lines[i + 1]?.match(/^\+\+\+ b\/(\S+)/)?.[1];
    if (!target) throw new ToolBuildError(`patch: expected "+++ b/<path>" after line ${i + 1}`);
    const path = join(root, target);
    const original = (await readFile(path, 'utf8')).split('\n');
    const result: string[] = [];
    let consumed = 0;
    i += 2;
    while (i < lines.length && lines[i]?.startsWith('@@')) {
      const header = lines[i]!.match(/^@@ -(\d+)(?:,\d+)? \+\d+(?:,\d+)? @@/);
      if (!header) throw new ToolBuildError(`patch: bad hunk header ${lines[i]}`);
      const start = Number(header[1]) - 1;
      result.push(...original.slice(consumed, start));
      consumed = start;
      i++;
      while (i < lines.length && /^[ +\-\\]/.test(lines[i]!)) {
        const line = lines[i]!;
        const text = line.slice(1);
        if (line.startsWith('\\')) {
          // "\ No newline at end of file"
        } else if (line.startsWith('+')) {
          result.push(text);
        } else {
          if (original[consumed] !== text) {
            throw new ToolBuildError(
              `patch does not apply to ${target} at line ${consumed + 1}: expected ${JSON.stringify(text)}, found ${JSON.stringify(original[consumed])}`,
            );
          }
          if (line.startsWith(' ')) result.push(text);
          consumed++;
        }
        i++;
      }
    }
    result.push(...original.slice(consumed));
    await writeFile(path, result.join('\n'));
    while (i < lines.length && !lines[i]!.startsWith('--- ')) i++;
  }
}

function run(command: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', (error) =>
      reject(new ToolBuildError(`could not run ${command}: ${error.message}`, { cause: error })),
    );
    child.on('close', (code, signal) => {
      if (code === 0) resolvePromise(stdout);
      else
        reject(
          new ToolBuildError(
            `${command} ${args.join(' ')} failed (${signal ?? `exit ${code}`}) in ${cwd}:\n${stderr || stdout}`,
          ),
        );
    });
  });
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function makeWritable(path: string): Promise<void> {
  // The module cache is read-only; the copy must be patchable.
  await run('chmod', ['-R', 'u+w', path], dirname(path));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.env.STORAGE_EMULATOR_HOST) {
    console.log(
      `STORAGE_EMULATOR_HOST=${process.env.STORAGE_EMULATOR_HOST}: using that emulator, building nothing`,
    );
  } else {
    try {
      const binary = await ensureFakeGcsServer((line) => console.log(line));
      console.log(`fake-gcs-server ${FAKE_GCS_VERSION} (patched): ${binary}`);
    } catch (error) {
      console.error(`npm run tools: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    }
  }
}
