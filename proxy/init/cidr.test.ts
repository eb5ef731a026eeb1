import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatCidr, parseCidr } from './cidr.ts';

describe('parseCidr', () => {
  const cases: { input: string; want: string | undefined; family?: 'ipv4' | 'ipv6' }[] = [
    { input: '10.0.0.0/8', want: '10.0.0.0/8', family: 'ipv4' },
    { input: '10.1.2.3/8', want: '10.0.0.0/8' },
    { input: '192.168.7.200/26', want: '192.168.7.192/26' },
    { input: '10.1.2.3', want: '10.1.2.3/32' },
    { input: '0.0.0.0/0', want: '0.0.0.0/0' },
    { input: 'fd00::/8', want: 'fd00::/8', family: 'ipv6' },
    { input: 'FD00:0:0:0:0:0:0:1/8', want: 'fd00::/8' },
    { input: '2001:db8:0:0:1:0:0:1/128', want: '2001:db8::1:0:0:1/128' },
    { input: '2001:db8::abcd:ef12/120', want: '2001:db8::abcd:ef00/120' },
    { input: '2001:db8:1:2:3:4:5:6/64', want: '2001:db8:1:2::/64' },
    { input: '2001:0:1:0:1:0:1:0', want: '2001:0:1:0:1:0:1:0/128' },
    { input: '::1', want: '::1/128' },
    { input: '::/0', want: '::/0' },
    { input: '::ffff:10.1.2.3/128', want: '::ffff:10.1.2.3/128' },
    { input: '::ffff:a01:203/96', want: '::ffff:0.0.0.0/96' },
    { input: '::10.1.2.3', want: '::10.1.2.3/128' },
    { input: '1:0:0:1:0:0:0:1', want: '1:0:0:1::1/128' },
    { input: '1:0:0:2:2:0:0:1', want: '1::2:2:0:0:1/128' },
    { input: '10.0.0.0/33', want: undefined },
    { input: 'fd00::/129', want: undefined },
    { input: '10.0.0/8', want: undefined },
    { input: 'example.com/8', want: undefined },
    { input: '10.0.0.0/8/8', want: undefined },
    { input: '', want: undefined },
  ];
  for (const { input, want, family } of cases) {
    test(`${JSON.stringify(input)} → ${want ?? 'refused'}`, () => {
      const got = parseCidr(input);
      assert.equal(got === undefined ? undefined : formatCidr(got), want);
      if (family !== undefined) assert.equal(got?.family, family);
    });
  }
});
