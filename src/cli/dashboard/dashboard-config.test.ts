import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../../errors/index.ts';
import { isLoopbackHost, parseDashboardFlags } from './dashboard-config.ts';

test('the defaults listen on 127.0.0.1:50750 and scrape every 2s', () => {
  assert.deepEqual(parseDashboardFlags({}), { host: '127.0.0.1', port: 50750, intervalMs: 2000, stateDir: undefined });
});

test('a loopback address is taken; a non-loopback one needs --allow-remote', () => {
  assert.equal(parseDashboardFlags({ address: '127.0.0.5:0' }).host, '127.0.0.5');
  assert.equal(parseDashboardFlags({ address: '[::1]:8080' }).host, '::1');
  assert.throws(() => parseDashboardFlags({ address: '0.0.0.0:50750' }), /not a loopback address.*--allow-remote/);
  assert.equal(parseDashboardFlags({ address: '0.0.0.0:50750', 'allow-remote': true }).host, '0.0.0.0');
});

test('every bad flag is named in one usage error', () => {
  assert.throws(
    () => parseDashboardFlags({ address: 'nowhere', interval: '10ms' }),
    (err: unknown) =>
      err instanceof UsageError &&
      /--address "nowhere" is not host:port/.test(err.message) &&
      /--interval "10ms"/.test(err.message),
  );
});

test('loopback hosts', () => {
  for (const h of ['127.0.0.1', '127.1.2.3', '::1', 'localhost']) assert.ok(isLoopbackHost(h), h);
  for (const h of ['0.0.0.0', '10.0.0.1', '::', 'example.com']) assert.ok(!isLoopbackHost(h), h);
});
