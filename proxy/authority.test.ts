import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAuthority } from './authority.ts';

test('parses authorities with and without ports, IPv6 in brackets, and refuses junk', () => {
  assert.deepEqual(parseAuthority('web.shop.svc.cluster.local:8080'), {
    host: 'web.shop.svc.cluster.local',
    port: 8080,
  });
  assert.deepEqual(parseAuthority('Example.COM'), { host: 'example.com', port: 80 });
  assert.deepEqual(parseAuthority('[::1]:4140'), { host: '::1', port: 4140 });
  assert.deepEqual(parseAuthority('[2001:db8::1]'), { host: '2001:db8::1', port: 80 });
  for (const bad of [undefined, '', 'host:0', 'host:70000', 'a b', '[zz::1]:80', 'user@host:80']) {
    assert.equal(parseAuthority(bad), undefined, String(bad));
  }
});

test('gives the same frozen object for the same authority, and still honours another default port', () => {
  const first = parseAuthority('web.shop:8080');
  assert.equal(parseAuthority('web.shop:8080'), first);
  assert.ok(Object.isFrozen(first));
  assert.deepEqual(parseAuthority('web.shop', 8080), { host: 'web.shop', port: 8080 });
  assert.deepEqual(parseAuthority('web.shop'), { host: 'web.shop', port: 80 });
  assert.equal(parseAuthority('a b'), undefined);
  assert.equal(parseAuthority('a b'), undefined);
  const long = `${'a'.repeat(400)}:80`;
  assert.deepEqual(parseAuthority(long), { host: 'a'.repeat(400), port: 80 });
});
