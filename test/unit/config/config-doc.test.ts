import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { it } from 'node:test';
import { ENV_VARS, renderConfigurationDoc, renderEnvVarTable } from '../../../src/config/index.ts';

const DOC = new URL('../../../docs/configuration.md', import.meta.url);
const README = new URL('../../../README.md', import.meta.url);
const START =
  '<!-- env-table:start (generated from src/config; UPDATE_DOCS=1 npm run test:unit) -->';
const END = '<!-- env-table:end -->';

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

it("README.md's configuration table is the one generated from the schema", () => {
  let readme = readFileSync(README, 'utf8');
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  assert.ok(start !== -1 && end > start, `README.md must hold the markers ${START} … ${END}`);
  const expected = `${START}\n${renderEnvVarTable()}\n${END}`;
  if (process.env.UPDATE_DOCS === '1') {
    readme = readme.slice(0, start) + expected + readme.slice(end + END.length);
    writeFileSync(README, readme);
  }
  assert.equal(
    readme.slice(start, end + END.length),
    expected,
    "README.md's configuration table is stale: run UPDATE_DOCS=1 npm run test:unit",
  );
});
