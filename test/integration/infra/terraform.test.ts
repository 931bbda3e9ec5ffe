// The Terraform checks: formatting, `validate` of the example against the
// real Google provider's schema (built from source, loaded through
// dev_overrides), and trivy's misconfiguration scan. The tools come from
// test/support/terraform-tools.ts (`npm run tools:terraform` builds them
// before this suite; a missing tool is built here, and failing to build is a
// failure, never a skip). Nothing here talks to the network.
import assert from 'node:assert/strict';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { writeArchive } from '../../../scripts/package.ts';
import {
  ensureGoTool,
  ensureTerraformCli,
  GOOGLE_PROVIDER,
  type RunResult,
  runCommand,
  type TerraformCli,
  TRIVY,
  writeCliConfig,
} from '../../support/terraform-tools.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

interface ValidateOutput {
  valid: boolean;
  error_count: number;
  warning_count: number;
  diagnostics: {
    severity: string;
    summary: string;
    detail?: string;
    range?: { filename: string };
  }[];
}

interface TrivyReport {
  Results?: {
    Target: string;
    Misconfigurations?: {
      ID: string;
      AVDID?: string;
      Title: string;
      Status: string;
      Severity: string;
      CauseMetadata?: { Resource?: string };
    }[];
  }[];
}

describe('infra: Terraform checks', () => {
  let cli: TerraformCli;
  let provider: string;
  let trivy: string;
  let work: string;
  let env: Record<string, string>;

  before(async () => {
    cli = await ensureTerraformCli((line) => console.log(line));
    console.log(`infra checks use ${cli.kind} ${cli.version} (${cli.binary})`);
    provider = await ensureGoTool(GOOGLE_PROVIDER, (line) => console.log(line));
    trivy = await ensureGoTool(TRIVY, (line) => console.log(line));
    // A copy, so init's .terraform folders and lock files never land in the work tree.
    work = await mkdtemp(join(tmpdir(), 'cascade-infra-'));
    await cp(join(repoRoot, 'infra'), join(work, 'infra'), {
      recursive: true,
      filter: (source) => !source.includes(`${'/'}.terraform`),
    });
    await writeArchive(repoRoot, join(work, 'dist', 'cascade-functions.zip'));
    env = {
      TF_CLI_CONFIG_FILE: await writeCliConfig(work, dirname(provider)),
      TF_IN_AUTOMATION: '1',
      TF_INPUT: '0',
      CHECKPOINT_DISABLE: '1',
    };
  });

  after(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  function tf(args: string[], cwd: string): Promise<RunResult> {
    return runCommand(cli.binary, args, { cwd, env, timeoutMs: 300_000 });
  }

  test('terraform fmt: every file is formatted', async () => {
    const result = await tf(
      ['fmt', '-check', '-recursive', '-diff', join(repoRoot, 'infra')],
      repoRoot,
    );
    assert.equal(
      result.code,
      0,
      `unformatted files (run terraform fmt -recursive infra):\n${result.stdout}${result.stderr}`,
    );
  });

  for (const folder of ['examples/basic', 'modules/cascade']) {
    test(`terraform validate ${folder} against the real google provider schema`, async () => {
      const dir = join(work, 'infra', folder);
      // `get` installs the local module only; the provider comes from dev_overrides.
      const got = await tf(['get'], dir);
      assert.equal(got.code, 0, `${cli.kind} get failed:\n${got.stderr}${got.stdout}`);
      const result = await tf(['validate', '-json', '-no-color'], dir);
      let output: ValidateOutput;
      try {
        output = JSON.parse(result.stdout) as ValidateOutput;
      } catch (error) {
        throw new Error(
          `validate printed no JSON (exit ${result.code}):\n${result.stderr}${result.stdout}`,
          { cause: error },
        );
      }
      // Terraform warns that dev_overrides are in effect, naming the folder:
      // proof that the schema came from the provider built here.
      const override = output.diagnostics.find(
        (d) => d.summary === 'Provider development overrides are in effect',
      );
      assert.ok(
        override?.detail?.includes(dirname(provider)),
        `the built provider was not used:\n${result.stdout}`,
      );
      const problems = output.diagnostics
        .filter((d) => d !== override)
        .map(
          (d) =>
            `${d.severity}: ${d.summary} (${d.range?.filename ?? '?'})${d.detail ? `: ${d.detail}` : ''}`,
        );
      assert.equal(output.valid, true, problems.join('\n'));
      // Warnings too: a deprecated argument is a change waiting to break.
      assert.deepEqual(problems, []);
    });
  }

  test('trivy finds no misconfiguration', async () => {
    const result = await runCommand(
      trivy,
      [
        'config',
        '--skip-check-update',
        '--include-non-failures',
        '--quiet',
        '--format',
        'json',
        '--exit-code',
        '0',
        '--cache-dir',
        join(work, 'trivy-cache'),
        join(work, 'infra'),
      ],
      { cwd: work, timeoutMs: 300_000 },
    );
    assert.equal(result.code, 0, `trivy failed:\n${result.stderr}`);
    const report = JSON.parse(result.stdout) as TrivyReport;
    const failures = (report.Results ?? []).flatMap((r) =>
      (r.Misconfigurations ?? [])
        .filter((m) => m.Status === 'FAIL')
        .map(
          (m) =>
            `${m.AVDID ?? m.ID} ${m.Severity} ${m.Title} (${r.Target} ${m.CauseMetadata?.Resource ?? ''})`,
        ),
    );
    assert.deepEqual(failures, []);
    // The scan must really have evaluated Google checks against our resources.
    const passed = (report.Results ?? []).flatMap((r) =>
      (r.Misconfigurations ?? []).filter((m) => m.Status === 'PASS'),
    );
    assert.ok(passed.length > 0, `trivy evaluated no check: ${result.stdout.slice(0, 500)}`);
  });
});
