import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { SettingsReader } from '../config/index.ts';
import { ConfigError } from '../errors/index.ts';
import { catchError } from '../testing/index.ts';
import { componentLogger, createLogger } from './logger.ts';
import { readLogConfig, type LogConfig } from './log-config.ts';

function collector(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  return {
    stream,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

const base: LogConfig = { level: 'info', format: 'json', trace: [] };

describe('createLogger', () => {
  test('writes JSON lines with the component and fields, not interpolated text', () => {
    const out = collector();
    const root = createLogger({ config: base, name: 'proxy', destination: out.stream, isTty: false });
    componentLogger(root, 'balancer', { service: 'web' }).info({ endpoints: 3 }, 'endpoints updated');
    const [line] = out.lines();
    assert.equal(line?.level, 'info');
    assert.equal(line?.name, 'proxy');
    assert.equal(line?.component, 'balancer');
    assert.equal(line?.service, 'web');
    assert.equal(line?.endpoints, 3);
    assert.equal(line?.msg, 'endpoints updated');
    assert.equal(typeof line?.time, 'string');
  });

  test('emits debug only for subsystems named in NODEMESH_TRACE', () => {
    const out = collector();
    const root = createLogger({ config: { ...base, trace: ['balancer'] }, name: 'proxy', destination: out.stream });
    componentLogger(root, 'balancer').debug('picked');
    componentLogger(root, 'resolver').debug('resolved');
    root.debug('root debug');
    assert.deepEqual(
      out.lines().map((l) => l.msg),
      ['picked'],
    );
  });

  test('logs the cause chain of an error', () => {
    const out = collector();
    const root = createLogger({ config: base, name: 'cli', destination: out.stream });
    root.error({ err: new Error('outer', { cause: new Error('inner') }) }, 'failed');
    const err = out.lines()[0]?.err as { message: string; cause?: { message: string } };
    assert.equal(err.message, 'outer');
    assert.equal(err.cause?.message, 'inner');
  });
});

describe('readLogConfig', () => {
  test('reads level, format and trace list', () => {
    const r = new SettingsReader('t', {
      NODEMESH_LOG_LEVEL: 'debug',
      NODEMESH_LOG_FORMAT: 'json',
      NODEMESH_TRACE: 'balancer, resolver',
    });
    assert.deepEqual(readLogConfig(r), { level: 'debug', format: 'json', trace: ['balancer', 'resolver'] });
  });

  test('refuses an unknown level and a bad trace list together', () => {
    const r = new SettingsReader('t', { NODEMESH_LOG_LEVEL: 'loud', NODEMESH_TRACE: 'Bal ancer' });
    readLogConfig(r);
    const err = catchError(() => r.finish({}), ConfigError);
    assert.deepEqual(
      err.problems.map((p) => p.name),
      ['NODEMESH_LOG_LEVEL', 'NODEMESH_TRACE'],
    );
  });
});
