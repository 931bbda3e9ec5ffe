// Static checks of infra/modules/cascade, read with hcl2json: what each
// function receives matches the configuration schema, IAM stays on
// resources, and every call into a function carries an OIDC identity.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ENV_VARS, SECRET_ENV_VARS } from '../../../src/config/index.ts';
import {
  block,
  blocks,
  type HclBody,
  type HclModule,
  localReference,
  readModule,
  resourceReference,
} from '../../support/terraform-hcl.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const moduleDir = join(repoRoot, 'infra', 'modules', 'cascade');
const exampleDir = join(repoRoot, 'infra', 'examples', 'basic');

/** functions-framework targets the functions/ entry points register. */
const TARGETS = ['ingest', 'ingestEvent', 'api', 'scheduler'];

/** IAM resources that bind one resource; anything project-, folder- or org-wide is refused. */
const RESOURCE_LEVEL_IAM = new Set([
  'google_storage_bucket_iam_member',
  'google_pubsub_topic_iam_member',
  'google_pubsub_subscription_iam_member',
  'google_secret_manager_secret_iam_member',
  'google_cloud_run_v2_service_iam_member',
  'google_service_account_iam_member',
  'google_kms_crypto_key_iam_member',
]);

const PRIMITIVE_ROLES = new Set(['roles/owner', 'roles/editor', 'roles/viewer']);

/** An HCL interpolation as hcl2json writes it: hcl('var.x') is "${var.x}". */
function hcl(expression: string): string {
  return `\${${expression}}`;
}

let mod: HclModule;

before(async () => {
  mod = await readModule(moduleDir);
});

function resourcesOf(type: string) {
  return mod.resources.filter((r) => r.type === type);
}

/** The literal map an `environment_variables` value names (directly or through one local). */
function literalMap(value: unknown, where: string): Record<string, unknown> {
  const local = localReference(value);
  const resolved = local === undefined ? value : mod.locals[local];
  assert.ok(
    resolved !== null && typeof resolved === 'object' && !Array.isArray(resolved),
    `${where}: environment_variables must be a literal map (or a local holding one) so its names can be checked; got ${JSON.stringify(value)}`,
  );
  return resolved as Record<string, unknown>;
}

interface FunctionEnv {
  name: string;
  plain: Record<string, unknown>;
  secret: string[];
}

function functionEnvs(): FunctionEnv[] {
  return resourcesOf('google_cloudfunctions2_function').map((fn) => {
    const where = `google_cloudfunctions2_function.${fn.name}`;
    const service = block(fn.body, 'service_config');
    assert.ok(service, `${where} has no service_config`);
    const secret = blocks(service, 'secret_environment_variables').map((s) => {
      assert.equal(typeof s.key, 'string', `${where}: secret variable key must be a literal`);
      assert.doesNotMatch(String(s.key), /\$\{/, `${where}: secret variable key must be a literal`);
      return s.key as string;
    });
    return { name: where, plain: literalMap(service.environment_variables, where), secret };
  });
}

describe('infra/modules/cascade: function environment', () => {
  const known = new Map(ENV_VARS.map((v) => [v.name, v]));

  test('there is a function for each entry point, each naming a registered target', () => {
    const functions = resourcesOf('google_cloudfunctions2_function');
    const entryPoints = functions.map((fn) => block(fn.body, 'build_config')?.entry_point);
    for (const target of TARGETS)
      assert.ok(entryPoints.includes(target), `no function runs ${target}`);
    for (const entry of entryPoints)
      assert.ok(TARGETS.includes(String(entry)), `unknown target ${entry}`);
  });

  test('every variable a function receives is one the configuration schema knows', () => {
    for (const fn of functionEnvs()) {
      for (const name of [...Object.keys(fn.plain), ...fn.secret]) {
        assert.ok(known.has(name), `${fn.name} sets ${name}, which src/config does not know`);
      }
    }
  });

  test('secret variables arrive only through Secret Manager, never as plain values', () => {
    for (const fn of functionEnvs()) {
      for (const name of Object.keys(fn.plain)) {
        assert.ok(!SECRET_ENV_VARS.has(name), `${fn.name} passes the secret ${name} in plain text`);
      }
    }
  });

  test('every required variable is set, and exactly one of each "one of" group', () => {
    for (const fn of functionEnvs()) {
      const set = new Set([...Object.keys(fn.plain), ...fn.secret]);
      assert.equal(fn.plain.CASCADE_STORAGE, 'gcs', `${fn.name} must store in Cloud Storage`);
      const groups = new Map<string, string[]>();
      for (const v of ENV_VARS) {
        if (v.required === true) assert.ok(set.has(v.name), `${fn.name} lacks required ${v.name}`);
        else if (v.required === 'when gcs')
          assert.ok(set.has(v.name), `${fn.name} lacks ${v.name} (required with gcs)`);
        else if (v.required === 'one of')
          groups.set('one of', [...(groups.get('one of') ?? []), v.name]);
        else if (v.required !== false)
          assert.fail(
            `unknown requirement ${JSON.stringify(v.required)} of ${v.name}: teach this test`,
          );
      }
      for (const [, names] of groups) {
        const present = names.filter((n) => set.has(n));
        assert.equal(
          present.length,
          1,
          `${fn.name} must set exactly one of ${names.join(', ')}; sets ${present.join(', ') || 'none'}`,
        );
      }
    }
  });

  test('the push identity in the streams document is the one the subscriptions use', () => {
    const doc = mod.locals.streams_document as HclBody;
    const pushAuth = doc.pushAuth as HclBody;
    for (const sub of resourcesOf('google_pubsub_subscription')) {
      const oidc = block(block(sub.body, 'push_config'), 'oidc_token');
      if (!oidc) continue;
      assert.equal(pushAuth.email, hcl('google_service_account.push.email'));
      assert.equal(
        oidc.service_account_email,
        pushAuth.email,
        `${sub.name}: token email differs from pushAuth.email`,
      );
      assert.equal(
        oidc.audience,
        pushAuth.audience,
        `${sub.name}: token audience differs from pushAuth.audience`,
      );
    }
  });
});

describe('infra/modules/cascade: least privilege', () => {
  test('no IAM binding is project-, folder- or organization-wide', () => {
    const iam = mod.resources.filter((r) => /_iam_(member|binding|policy)$/.test(r.type));
    assert.ok(iam.length > 0, 'expected resource-level IAM members');
    for (const r of iam) {
      assert.ok(
        RESOURCE_LEVEL_IAM.has(r.type),
        `${r.type}.${r.name}: not a resource-level IAM member`,
      );
    }
    const wide = mod.resources.filter((r) =>
      /^google_(project|folder|organization)_iam_/.test(r.type),
    );
    assert.deepEqual(
      wide.map((r) => `${r.type}.${r.name}`),
      [],
    );
  });

  test('no primitive role and no public principal is granted', () => {
    for (const r of mod.resources.filter((x) => RESOURCE_LEVEL_IAM.has(x.type))) {
      const role = r.body.role;
      assert.equal(typeof role, 'string', `${r.type}.${r.name} has no role`);
      const roles = role === hcl('each.value') ? forEachStrings(r.body) : [String(role)];
      for (const value of roles) {
        assert.match(
          value,
          /^roles\/[a-zA-Z.]+$/,
          `${r.type}.${r.name}: role ${value} must be a predefined role`,
        );
        assert.ok(!PRIMITIVE_ROLES.has(value), `${r.type}.${r.name} grants primitive ${value}`);
      }
      assert.doesNotMatch(
        String(r.body.member),
        /allUsers|allAuthenticatedUsers/,
        `${r.type}.${r.name} is public`,
      );
    }
  });

  test('every function runs as its own service account', () => {
    const accounts = new Map<string, string>();
    for (const fn of resourcesOf('google_cloudfunctions2_function')) {
      const email = block(fn.body, 'service_config')?.service_account_email;
      const account =
        typeof email === 'string'
          ? /^\$\{(google_service_account\.[a-z_]+(\["[a-z-]+"\])?)\.email\}$/.exec(email)?.[1]
          : undefined;
      assert.ok(
        account,
        `google_cloudfunctions2_function.${fn.name} must run as a service account this module creates; got ${email}`,
      );
      const other = accounts.get(account);
      assert.equal(other, undefined, `${fn.name} shares ${account} with ${other}`);
      accounts.set(account, fn.name);
    }
    // Token identities (push, Eventarc, scheduler) are never function identities.
    const tokenIdentities = [
      ...resourcesOf('google_pubsub_subscription').map(
        (s) => block(block(s.body, 'push_config'), 'oidc_token')?.service_account_email,
      ),
      ...resourcesOf('google_cloud_scheduler_job').map(
        (j) => block(block(j.body, 'http_target'), 'oidc_token')?.service_account_email,
      ),
      ...resourcesOf('google_cloudfunctions2_function').map(
        (f) => block(f.body, 'event_trigger')?.service_account_email,
      ),
    ].filter((e): e is string => typeof e === 'string');
    for (const identity of tokenIdentities) {
      for (const account of accounts.keys()) {
        assert.ok(
          !identity.startsWith(`\${${account}.`),
          `${account} runs a function and also carries tokens`,
        );
      }
    }
  });

  test('the function service accounts are created per function role', () => {
    const sa = resourcesOf('google_service_account').find((r) => r.name === 'function');
    assert.ok(sa, 'google_service_account.function missing');
    assert.equal(sa.body.for_each, hcl('local.function_roles'));
  });
});

describe('infra/modules/cascade: authenticated delivery', () => {
  test('every push subscription sends an OIDC token with a dedicated identity and audience', () => {
    const subs = resourcesOf('google_pubsub_subscription').filter((s) =>
      block(s.body, 'push_config'),
    );
    assert.ok(subs.length > 0, 'expected a push subscription');
    for (const sub of subs) {
      const push = block(sub.body, 'push_config');
      const oidc = block(push, 'oidc_token');
      assert.ok(oidc, `${sub.name}: push_config without oidc_token`);
      assert.equal(resourceReference(oidc.service_account_email), 'google_service_account.push');
      assert.ok(oidc.audience, `${sub.name}: no audience`);
      assert.ok(block(sub.body, 'dead_letter_policy'), `${sub.name}: no dead-letter policy`);
      assert.ok(block(sub.body, 'retry_policy'), `${sub.name}: no retry policy`);
    }
  });

  test('the scheduler job calls its function with an OIDC token', () => {
    const jobs = resourcesOf('google_cloud_scheduler_job');
    assert.equal(jobs.length, 1);
    const oidc = block(block(jobs[0]?.body, 'http_target'), 'oidc_token');
    assert.ok(oidc, 'scheduler job without oidc_token');
    assert.equal(resourceReference(oidc.service_account_email), 'google_service_account.cron');
  });

  test('Eventarc delivery runs as its own identity', () => {
    const fn = resourcesOf('google_cloudfunctions2_function').find((f) =>
      block(f.body, 'event_trigger'),
    );
    assert.ok(fn, 'no Eventarc variant');
    assert.equal(
      resourceReference(block(fn.body, 'event_trigger')?.service_account_email),
      'google_service_account.eventarc',
    );
  });

  test('invokers are granted per function service, to the token identities only', () => {
    const invokers = resourcesOf('google_cloud_run_v2_service_iam_member');
    for (const r of invokers) assert.equal(r.body.role, 'roles/run.invoker');
    const members = invokers.map((r) => String(r.body.member));
    assert.ok(members.includes(hcl('google_service_account.push.member')));
    assert.ok(members.includes(hcl('google_service_account.cron.member')));
  });
});

describe('infra variables and example', () => {
  test('every module variable has a type and a description', () => {
    for (const [name, v] of Object.entries(mod.variables)) {
      assert.ok(v.type, `variable ${name} has no type`);
      assert.ok(
        typeof v.description === 'string' && v.description.length > 10,
        `variable ${name} has no description`,
      );
    }
  });

  test('infra/README.md documents every variable and output', async () => {
    const readme = await readFile(join(repoRoot, 'infra', 'README.md'), 'utf8');
    for (const name of Object.keys(mod.variables)) {
      assert.match(
        readme,
        new RegExp(`^\\| \`${name}\` \\|`, 'm'),
        `README lacks a row for ${name}`,
      );
    }
    for (const name of Object.keys(mod.outputs))
      assert.ok(readme.includes(`\`${name}\``), `README lacks output ${name}`);
  });

  test('the API token is ephemeral and reaches Secret Manager only through a write-only argument', () => {
    assert.equal(mod.variables.api_token?.ephemeral, true);
    assert.equal(mod.variables.api_token?.sensitive, true);
    const version = resourcesOf('google_secret_manager_secret_version').find(
      (r) => r.name === 'api_token',
    );
    assert.ok(version);
    assert.equal(version.body.secret_data_wo, hcl('var.api_token'));
    assert.equal(version.body.secret_data, undefined);
  });

  test('the runtime defaults to Node.js 22 or newer', () => {
    assert.match(String(mod.variables.runtime?.default), /^nodejs(2[2-9]|[3-9]\d)$/);
  });

  test('the example uses the module with both delivery kinds and an ephemeral token', async () => {
    const example = await readModule(exampleDir);
    assert.equal(example.variables.api_token?.ephemeral, true);
    const call = example.modules.cascade;
    assert.ok(call, 'the example does not call the module');
    assert.equal(call.source, '../../modules/cascade');
    const streams = call.streams as HclBody[];
    const kinds = new Set(streams.map((s) => s.delivery ?? 'push'));
    assert.deepEqual([...kinds].sort(), ['eventarc', 'push']);
    assert.equal(call.api_token, hcl('var.api_token'));
  });
});

function forEachStrings(body: HclBody): string[] {
  const forEach = String(body.for_each);
  const literals = [...forEach.matchAll(/"(roles\/[^"]+)"/g)].map((m) => m[1] as string);
  assert.ok(literals.length > 0, `cannot read the roles of for_each ${forEach}`);
  return literals;
}
