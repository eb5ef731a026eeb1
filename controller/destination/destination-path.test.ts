import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseContextToken, parseDestinationPath } from './destination-path.ts';

describe('parseDestinationPath', () => {
  const cases: [string, unknown][] = [
    ['web.shop.svc.cluster.local:8080', { type: 'service', namespace: 'shop', name: 'web', port: 8080 }],
    ['web.shop.svc.cluster.local.:80', { type: 'service', namespace: 'shop', name: 'web', port: 80 }],
    ['web.shop.svc.cluster.local', { type: 'service', namespace: 'shop', name: 'web', port: 80 }],
    ['10.96.0.10:80', { type: 'ip', ip: '10.96.0.10', port: 80 }],
    ['[fd00::1]:443', { type: 'ip', ip: 'fd00::1', port: 443 }],
    ['web-0.web.shop.svc.cluster.local:80', { type: 'external', host: 'web-0.web.shop.svc.cluster.local', port: 80 }],
    ['web.shop.svc.other.domain:80', { type: 'external', host: 'web.shop.svc.other.domain', port: 80 }],
    ['example.com:443', { type: 'external', host: 'example.com', port: 443 }],
  ];
  for (const [path, target] of cases) {
    test(`reads ${path}`, () => assert.deepEqual(parseDestinationPath(path, 'cluster.local'), { ok: true, target }));
  }
  for (const bad of ['', ':80', 'web:0', 'web:99999', 'web:http', 'a:b:c']) {
    test(`refuses ${JSON.stringify(bad)}`, () => assert.equal(parseDestinationPath(bad, 'cluster.local').ok, false));
  }
});

describe('parseContextToken', () => {
  test('reads the JSON token', () =>
    assert.deepEqual(parseContextToken('{"ns":"shop","nodeName":"n1","pod":"web-0"}'), {
      namespace: 'shop',
      nodeName: 'n1',
      pod: 'web-0',
    }));
  test('reads the legacy ns: token', () => assert.deepEqual(parseContextToken('ns:shop'), { namespace: 'shop' }));
  test('treats empty and unreadable tokens as no context', () => {
    for (const token of ['', 'garbage', '[1]', '{"ns":"Not A Label"}']) assert.deepEqual(parseContextToken(token), {});
  });
});
