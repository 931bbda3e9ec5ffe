import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { it } from 'node:test';
import { ENV_VARS, renderConfigurationDoc } from '../../../src/config/index.ts';

const DOC = new URL('../../../docs/configuration.md', import.meta.url);

it('docs/configuration.md is the table generated from the schema', () => {
  const expected = renderConfigurationDoc();
  if (process.env.UPDATE_DOCS === '1') writeFileSync(DOC, expected);
  const actual = readFileSync(DOC, 'utf8');
  assert.equal(
    actual,
    expected,
    'docs/configuration.md is stale: run UPDATE_DOCS=1 npm run test:unit',
  );
  for (const v of ENV_VARS) assert.ok(actual.includes(`| \`${v.name}\` |`), v.name);
});
