import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { toGrpcStatus } from '../../../src/local/pubsub-emulator/errors.ts';
import {
  isValidResourceId,
  parseProjectName,
  parseResourceName,
} from '../../../src/local/pubsub-emulator/names.ts';

describe('resource names', () => {
  const ids: [string, boolean][] = [
    ['orders', true],
    ['Orders-2024_v1.~+%', true],
    ['abc', true],
    ['ab', false],
    ['1orders', false],
    ['-orders', false],
    ['goog-orders', false],
    ['GOOGorders', false],
    ['has space', false],
    ['has/slash', false],
    ['a'.repeat(255), true],
    ['a'.repeat(256), false],
  ];
  for (const [id, valid] of ids) {
    it(`${valid ? 'accepts' : 'refuses'} the id ${JSON.stringify(id.slice(0, 40))}`, () => {
      assert.equal(isValidResourceId(id), valid);
    });
  }

  const names: [string | undefined, boolean][] = [
    ['projects/p/topics/orders', true],
    ['projects/my-project/topics/orders', true],
    ['projects/p/subscriptions/orders', false],
    ['projects//topics/orders', false],
    ['projects/p/topics/', false],
    ['projects/p/topics/orders/extra', false],
    ['topics/orders', false],
    ['', false],
    [undefined, false],
  ];
  for (const [name, valid] of names) {
    it(`${valid ? 'parses' : 'refuses with INVALID_ARGUMENT'} the topic name ${String(name)}`, () => {
      if (valid) {
        assert.equal(parseResourceName(name, 'topics').id, name!.split('/')[3]);
        return;
      }
      try {
        parseResourceName(name, 'topics');
        assert.fail('expected a refusal');
      } catch (error) {
        assert.equal(toGrpcStatus(error).code, status.INVALID_ARGUMENT);
      }
    });
  }

  it('parses project names', () => {
    assert.equal(parseProjectName('projects/demo'), 'demo');
    assert.throws(() => parseProjectName('projects/'));
    assert.throws(() => parseProjectName('demo'));
  });

  it('maps unknown errors to INTERNAL', () => {
    assert.equal(toGrpcStatus(new Error('boom')).code, status.INTERNAL);
  });
});
