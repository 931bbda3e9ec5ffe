// Builds the Terraform checks' tools from source into the git-ignored tool
// cache, once, and finds the Terraform CLI. Run: `npm run tools:terraform`
// (test:integration runs it before the suites).
//
// Why from source: our machines reach only the npm, Debian and Go module
// registries, so neither the Terraform provider registry nor release
// binaries are available. Each tool is a Go module, so: `go mod download`
// the pinned version, `go build` it inside the module cache (the module is
// then the main module, so its own go.mod replace directives apply, and no
// version listing is needed, which the proxy refuses for some modules), and
// move the binary into .cache/tools/<tool>/<version>/. Later runs reuse it;
// the Go build cache makes a rebuild after a cache wipe much faster.
//
// - The Google provider, pinned to a commit of its main branch right after
//   the 8.0.0 release: the proxy serves that pseudo-version, but no v6-v8
//   tags, because the provider's module path carries no major suffix.
//   `terraform validate` loads it through a CLI config with dev_overrides, so
//   every resource, argument and block is checked against its real schema.
// - trivy, whose misconfiguration scanner (with its embedded checks; no
//   download) is the security linter. It needs GOEXPERIMENT=jsonv2, as its
//   own release builds do.
// - The Terraform CLI: `terraform` (or `tofu`) from PATH when it is 1.11 or
//   newer (write-only arguments, ephemeral variables); otherwise OpenTofu is
//   built the same way.
//
// A tool that cannot be built fails loudly: nothing is ever skipped.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ToolBuildError, toolsCacheDir } from './build-tools.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A Go program to build from a pinned module version. */
export interface GoTool {
  module: string;
  version: string;
  /** Package to build, relative to the module root. */
  pkg: string;
  binary: string;
  /** Extra environment for `go build`. */
  env?: Record<string, string>;
  /** Extra `go build` flags. */
  flags?: string[];
}

export const GOOGLE_PROVIDER: GoTool = {
  module: 'github.com/hashicorp/terraform-provider-google',
  version: 'v1.20.1-0.20260828184646-f3721fb45fa3',
  pkg: '.',
  binary: 'terraform-provider-google',
};

export const TRIVY: GoTool = {
  module: 'github.com/aquasecurity/trivy',
  version: 'v0.67.2',
  pkg: './cmd/trivy',
  binary: 'trivy',
  env: { GOEXPERIMENT: 'jsonv2' },
  flags: ['-trimpath'],
};

export const OPENTOFU: GoTool = {
  module: 'github.com/opentofu/opentofu',
  version: 'v1.12.6',
  pkg: './cmd/tofu',
  binary: 'tofu',
};

/** Oldest CLI that understands write-only arguments and ephemeral variables. */
export const MIN_TERRAFORM = [1, 11] as const;

/** Where a tool's binary lives in the cache. */
export function toolBinaryPath(tool: GoTool): string {
  return join(toolsCacheDir, tool.binary, tool.version, tool.binary);
}

/** Returns the path of the tool's binary, building it first when the cache lacks it. */
export async function ensureGoTool(
  tool: GoTool,
  log: (line: string) => void = () => {},
): Promise<string> {
  const binary = toolBinaryPath(tool);
  if (await exists(binary)) return binary;
  try {
    await run('go', ['version'], { cwd: repoRoot });
  } catch (error) {
    throw new ToolBuildError(
      `The Go toolchain (go 1.26 or newer) is needed to build ${tool.binary} for the Terraform checks, and it was not found on PATH.`,
      { cause: error },
    );
  }
  const started = Date.now();
  log(`building ${tool.module}@${tool.version} (${tool.pkg}) …`);
  const scratch = join(toolsCacheDir, '.scratch', randomBytes(4).toString('hex'));
  await mkdir(scratch, { recursive: true });
  try {
    // A throwaway module lets `go mod download` run outside any Go module.
    const downloaded = await run(
      'go',
      ['mod', 'download', '-json', `${tool.module}@${tool.version}`],
      {
        cwd: scratch,
      },
    );
    let moduleDir: string;
    try {
      moduleDir = JSON.parse(downloaded).Dir;
    } catch (error) {
      throw new ToolBuildError(`go mod download printed no module folder: ${downloaded}`, {
        cause: error,
      });
    }
    const output = join(scratch, tool.binary);
    // No -trimpath by default: a plain build shares the Go build cache with a
    // `go install` of the same version, which matters for the provider.
    const flags = ['-buildvcs=false', '-mod=readonly', ...(tool.flags ?? [])];
    await run('go', ['build', ...flags, '-o', output, tool.pkg], { cwd: moduleDir, env: tool.env });
    await mkdir(join(binary, '..'), { recursive: true });
    await rename(output, binary);
    const seconds = (Date.now() - started) / 1000;
    await writeFile(
      join(binary, '..', 'build-info.json'),
      `${JSON.stringify({ module: tool.module, version: tool.version, seconds, builtAt: new Date().toISOString() }, null, 2)}\n`,
    );
    log(`built ${tool.binary} in ${seconds.toFixed(1)} s`);
    return binary;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** The CLI the checks run: a binary and what it is. */
export interface TerraformCli {
  binary: string;
  kind: 'terraform' | 'tofu';
  version: string;
}

/**
 * Finds `terraform` or `tofu` (1.11+) on `searchPath`; when there is none,
 * builds OpenTofu into the tool cache.
 */
export async function ensureTerraformCli(
  log: (line: string) => void = () => {},
  searchPath: string = process.env.PATH ?? '',
): Promise<TerraformCli> {
  for (const kind of ['terraform', 'tofu'] as const) {
    for (const dir of searchPath.split(delimiter).filter(Boolean)) {
      const candidate = join(dir, kind);
      if (!(await exists(candidate))) continue;
      const version = await cliVersion(candidate);
      if (version && isAtLeast(version, MIN_TERRAFORM)) return { binary: candidate, kind, version };
      log(
        `${candidate} is ${version ?? 'of unknown version'}; need ${MIN_TERRAFORM.join('.')} or newer`,
      );
    }
  }
  const binary = await ensureGoTool(OPENTOFU, log);
  const version = await cliVersion(binary);
  if (!version) throw new ToolBuildError(`${binary} does not report its version`);
  return { binary, kind: 'tofu', version };
}

async function cliVersion(binary: string): Promise<string | undefined> {
  try {
    const out = await run(binary, ['version', '-json'], { cwd: repoRoot });
    // OpenTofu prints CLI configuration warnings on stdout, before the JSON.
    const parsed = JSON.parse(out.slice(out.indexOf('{'))) as { terraform_version?: string };
    return parsed.terraform_version;
  } catch {
    return undefined;
  }
}

function isAtLeast(version: string, minimum: readonly [number, number]): boolean {
  const [major = 0, minor = 0] = version.split('.').map((part) => Number.parseInt(part, 10));
  return major > minimum[0] || (major === minimum[0] && minor >= minimum[1]);
}

/**
 * Writes a CLI configuration that serves hashicorp/google from `providerDir`
 * (dev_overrides: no registry, no init needed for the provider) and returns
 * its path, for TF_CLI_CONFIG_FILE.
 */
export async function writeCliConfig(folder: string, providerDir: string): Promise<string> {
  const path = join(folder, 'cli-config.tfrc');
  await mkdir(folder, { recursive: true });
  await writeFile(
    path,
    [
      'provider_installation {',
      '  dev_overrides {',
      `    "hashicorp/google" = ${JSON.stringify(providerDir)}`,
      '  }',
      '  direct {}',
      '}',
      '',
    ].join('\n'),
  );
  return path;
}

/** Output of a finished command. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command to completion (bounded by `timeoutMs`), never throwing on a
 * non-zero exit: checks look at the code and the output themselves.
 */
export function runCommand(
  command: string,
  args: readonly string[],
  options: { cwd: string; env?: Record<string, string>; timeoutMs?: number },
): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 600_000,
      killSignal: 'SIGKILL',
    });
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
      resolvePromise({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
  });
}

async function run(
  command: string,
  args: readonly string[],
  options: { cwd: string; env?: Record<string, string> | undefined },
): Promise<string> {
  // Builds of the provider take many minutes on a cold cache; an hour bounds a hung one.
  const result = await runCommand(command, args, {
    cwd: options.cwd,
    env: options.env ?? {},
    timeoutMs: 3_600_000,
  });
  if (result.code !== 0) {
    throw new ToolBuildError(
      `${command} ${args.join(' ')} failed (exit ${result.code}) in ${options.cwd}:\n${result.stderr || result.stdout}`,
    );
  }
  return result.stdout;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const log = (line: string) => console.log(line);
  try {
    const cli = await ensureTerraformCli(log);
    console.log(`${cli.kind} ${cli.version}: ${cli.binary}`);
    for (const tool of [GOOGLE_PROVIDER, TRIVY]) {
      console.log(`${tool.binary} ${tool.version}: ${await ensureGoTool(tool, log)}`);
    }
  } catch (error) {
    console.error(
      `npm run tools:terraform: ${error instanceof Error ? error.message : String(error)}`,
    );
    process.exit(1);
  }
}
