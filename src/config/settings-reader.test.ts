import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError } from '../errors/index.ts';
import { catchError } from '../testing/index.ts';
import { SettingsReader, parsePortList, splitHostPort } from './settings-reader.ts';

function reader(env: Record<string, string>): SettingsReader {
  return new SettingsReader('test component', env);
}

describe('SettingsReader', () => {
  test('returns defaults for unset and empty variables', () => {
    const r = reader({ EMPTY: '  ' });
    assert.equal(r.int('UNSET', { default: 7 }), 7);
    assert.equal(r.durationMs('EMPTY', { default: 100 }), 100);
    assert.equal(r.problemCount, 0);
  });

  test('reads every kind of value', () => {
    const r = reader({
      I: '42',
      N: '0.25',
      B: 'TRUE',
      D: '1m',
      E: 'json',
      A: '[::1]:4140',
      AS: '127.0.0.1:4140, [::1]:4140',
      HP: 'identity.nodemesh.svc.cluster.local.:8080',
      P: '25,443,8000-8002',
    });
    assert.equal(r.int('I', { default: 0, min: 0, max: 100 }), 42);
    assert.equal(r.number('N', { default: 0, min: 0, max: 1 }), 0.25);
    assert.equal(r.bool('B', { default: false }), true);
    assert.equal(r.durationMs('D', { default: 0 }), 60_000);
    assert.equal(r.oneOf('E', ['json', 'pretty'], { default: 'pretty' }), 'json');
    assert.deepEqual(r.socketAddress('A', { default: { host: '', port: 0 } }), { host: '::1', port: 4140 });
    assert.deepEqual(r.socketAddresses('AS', { default: [] }), [
      { host: '127.0.0.1', port: 4140 },
      { host: '::1', port: 4140 },
    ]);
    assert.deepEqual(r.hostPort('HP', { default: undefined }), {
      host: 'identity.nodemesh.svc.cluster.local.',
      port: 8080,
    });
    assert.deepEqual(r.ports('P', { default: [] }), [25, 443, 8000, 8001, 8002]);
    assert.equal(r.problemCount, 0);
  });

  test('collects every problem and throws them together from finish', () => {
    const r = reader({ I: 'ten', D: '10', A: 'localhost:80', P: '0-3' });
    r.int('I', { default: 1, min: 0, max: 100 });
    r.durationMs('D', { default: 1 });
    r.socketAddress('A', { default: { host: '0.0.0.0', port: 1 } });
    r.ports('P', { default: [] });
    r.requiredString('R', 'a name');
    const err = catchError(() => r.finish({}), ConfigError);
    assert.deepEqual(
      err.problems.map((p) => p.name),
      ['I', 'D', 'A', 'P', 'R'],
    );
    assert.match(err.message, /test component: 5 invalid settings/);
    assert.match(err.message, /R is missing; allowed: a name/);
  });

  test('freezes the finished value deeply', () => {
    const value = reader({}).finish({ a: { b: [1, 2] } });
    assert.ok(Object.isFrozen(value));
    assert.ok(Object.isFrozen(value.a));
    assert.ok(Object.isFrozen(value.a.b));
  });
});

describe('splitHostPort and parsePortList', () => {
  test('split host and port, with brackets for IPv6', () => {
    assert.deepEqual(splitHostPort('10.0.0.1:80'), { host: '10.0.0.1', port: 80 });
    assert.deepEqual(splitHostPort('[2001:db8::1]:443'), { host: '2001:db8::1', port: 443 });
    assert.equal(splitHostPort('2001:db8::1:443'), undefined);
    assert.equal(splitHostPort('host:70000'), undefined);
    assert.equal(splitHostPort('host'), undefined);
  });

  test('port lists refuse zero, reversed ranges and words', () => {
    assert.deepEqual(parsePortList('5432, 25'), [25, 5432]);
    assert.equal(parsePortList('0'), undefined);
    assert.equal(parsePortList('10-5'), undefined);
    assert.equal(parsePortList('http'), undefined);
    assert.equal(parsePortList('65536'), undefined);
  });
});
