import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileFilter } from '../../../src/local/pubsub-emulator/filter.ts';

describe('subscription filters', () => {
  const attrs = { kind: 'order', region: 'eu-west', 'odd key': 'x' };
  const cases: [string, boolean][] = [
    ['attributes:kind', true],
    ['attributes:missing', false],
    ['attributes.kind = "order"', true],
    ['attributes.kind="refund"', false],
    ['attributes.kind != "refund"', true],
    ['hasPrefix(attributes.region, "eu-")', true],
    ['hasPrefix(attributes.region, "us-")', false],
    ['NOT attributes:missing', true],
    ['-attributes:kind', false],
    ['attributes:kind AND attributes.region = "eu-west"', true],
    ['attributes:missing OR attributes.kind = "order"', true],
    ['(attributes:missing OR attributes:kind) AND NOT attributes.region = "us"', true],
    ['attributes.`odd key` = "x"', true],
    ['attributes.kind = "a \\"quoted\\" value"', false],
  ];
  for (const [source, expected] of cases) {
    it(`${source} → ${expected}`, () => {
      assert.equal(compileFilter(source)(attrs), expected);
    });
  }

  const invalid = [
    'kind = "order"',
    'attributes.kind = order',
    'attributes:kind AND attributes:region OR attributes:x',
    '(attributes:kind',
    'attributes:kind)',
    'hasPrefix(kind, "a")',
    `attributes.k = "${'x'.repeat(300)}"`,
  ];
  for (const source of invalid) {
    it(`refuses ${source.slice(0, 50)}`, () => {
      assert.throws(() => compileFilter(source), /filter/i);
    });
  }
});
