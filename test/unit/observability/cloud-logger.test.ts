import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createCaptureLogger, createCloudLogger } from '../../../src/observability/index.ts';

function sink() {
  const lines: string[] = [];
  return { lines, destination: { write: (line: string) => lines.push(line) } };
}

describe('createCloudLogger', () => {
  it('writes one JSON line per call in Cloud Logging shape', () => {
    // Prepare
    const { lines, destination } = sink();
    const logger = createCloudLogger({ level: 'debug', destination, base: { function: 'ingest' } });
    // Act
    logger.child({ stream: 'orders' }).info({ partition: 3, count: 10 }, 'batch committed');
    logger.warn({}, 'slow');
    logger.error({ err: new Error('boom') }, 'failed');
    // Assess
    const entries = lines.map((line) => JSON.parse(line));
    assert.equal(entries.length, 3);
    assert.equal(entries[0].severity, 'INFO');
    assert.equal(entries[0].message, 'batch committed');
    assert.equal(entries[0].stream, 'orders');
    assert.equal(entries[0].partition, 3);
    assert.equal(entries[0].function, 'ingest');
    assert.ok(!Number.isNaN(Date.parse(entries[0].time)));
    assert.equal(entries[1].severity, 'WARNING');
    assert.equal(entries[2].severity, 'ERROR');
    assert.equal(entries[2].err.message, 'boom');
    assert.equal('level' in entries[0], false);
    assert.equal('pid' in entries[0], false);
  });

  it('drops lines below its level and redacts credential-shaped fields', () => {
    const { lines, destination } = sink();
    const logger = createCloudLogger({ level: 'info', destination });
    logger.debug({}, 'hidden');
    logger.info({ authorization: 'Bearer eyJsecret', request: { token: 't0ken' } }, 'seen');
    assert.equal(lines.length, 1);
    assert.ok(!lines[0]?.includes('eyJsecret'));
    assert.ok(!lines[0]?.includes('t0ken'));
  });
});

describe('createCaptureLogger', () => {
  it('captures entries with child bindings, shared across children', () => {
    const logger = createCaptureLogger();
    logger.child({ a: 1 }).child({ b: 2 }).warn({ c: 3 }, 'hello');
    logger.info({}, 'root');
    assert.deepEqual(logger.entries, [
      { level: 'warn', message: 'hello', fields: { a: 1, b: 2, c: 3 } },
      { level: 'info', message: 'root', fields: {} },
    ]);
    assert.match(logger.text(), /"hello"/);
  });
});
