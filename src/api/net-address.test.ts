// Tests for net-address.ts: address strings and ports to and from TcpAddress messages.

import assert from 'node:assert/strict';
import { isIP } from 'node:net';
import { describe, test } from 'node:test';

import { ProtobufDecodeError } from '../errors/index.ts';
import { TcpAddress, type IPAddress } from './gen/io/linkerd/proxy/net/net.ts';
import {
  InvalidAddressError,
  formatTcpAddress,
  ipAddressFromString,
  ipAddressToString,
  parseTcpAddress,
  tcpAddressFromParts,
  tcpAddressToParts,
} from './net-address.ts';
import { seededRandom } from '../testing/index.ts';

const v4 = (ipv4: number): IPAddress => ({ ip: { $case: 'ipv4', ipv4 } });
const v6 = (first: bigint, last: bigint): IPAddress => ({ ip: { $case: 'ipv6', ipv6: { first, last } } });

describe('ipAddressFromString', () => {
  const cases: [string, IPAddress][] = [
    ['10.1.2.3', v4(0x0a010203)],
    ['0.0.0.0', v4(0)],
    ['255.255.255.255', v4(0xffff_ffff)],
    ['192.168.0.1', v4(0xc0a80001)],
    ['::', v6(0n, 0n)],
    ['::1', v6(0n, 1n)],
    ['2001:db8::1', v6(0x20010db800000000n, 1n)],
    ['2001:DB8:0:0:0:0:0:1', v6(0x20010db800000000n, 1n)],
    ['fe80::1:2:3:4', v6(0xfe80000000000000n, 0x0001000200030004n)],
    ['1:2:3:4:5:6:7:8', v6(0x0001000200030004n, 0x0005000600070008n)],
    ['1:2:3:4:5:6:7::', v6(0x0001000200030004n, 0x0005000600070000n)],
    ['::2:3:4:5:6:7:8', v6(0x0000000200030004n, 0x0005000600070008n)],
    ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', v6(0xffff_ffff_ffff_ffffn, 0xffff_ffff_ffff_ffffn)],
    ['::ffff:10.1.2.3', v6(0n, 0x0000ffff0a010203n)],
    ['64:ff9b::192.0.2.33', v6(0x0064ff9b00000000n, 0x00000000c0000221n)],
  ];
  for (const [text, expected] of cases) {
    test(`reads ${text}`, () => {
      assert.deepStrictEqual(ipAddressFromString(text), expected);
    });
  }

  test('turns an IPv4-mapped IPv6 address into IPv4 when asked to', () => {
    assert.deepStrictEqual(ipAddressFromString('::ffff:10.1.2.3', { unwrapIpv4Mapped: true }), v4(0x0a010203));
    assert.deepStrictEqual(ipAddressFromString('::ffff:a01:203', { unwrapIpv4Mapped: true }), v4(0x0a010203));
    assert.deepStrictEqual(ipAddressFromString('2001:db8::1', { unwrapIpv4Mapped: true }), v6(0x20010db800000000n, 1n));
  });

  const invalid = [
    '',
    ' 10.1.2.3',
    '10.1.2',
    '10.1.2.3.4',
    '10.1.2.256',
    '010.1.2.3',
    '10.1.2.-1',
    '0x0a.1.2.3',
    'localhost',
    ':',
    ':::',
    '1::2::3',
    ':1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:8::',
    '12345::1',
    'g::1',
    'fe80::1%eth0',
    '[::1]',
    '::ffff:10.1.2',
    '::10.1.2.3:1',
    '1.2.3.4::',
  ];
  for (const text of invalid) {
    test(`rejects ${JSON.stringify(text)} with InvalidAddressError`, () => {
      assert.throws(() => ipAddressFromString(text), InvalidAddressError);
    });
  }

  test('agrees with node:net on which strings are addresses, zone ids aside', () => {
    for (const text of [...cases.map(([t]) => t), ...invalid]) {
      if (text.includes('%')) continue;
      let ours = true;
      try {
        ipAddressFromString(text);
      } catch {
        ours = false;
      }
      assert.equal(ours, isIP(text) !== 0, text);
    }
  });
});

describe('ipAddressToString', () => {
  const cases: [IPAddress, string][] = [
    [v4(0x0a010203), '10.1.2.3'],
    [v4(0xffff_ffff), '255.255.255.255'],
    [v4(0), '0.0.0.0'],
    [v6(0n, 0n), '::'],
    [v6(0n, 1n), '::1'],
    [v6(0x20010db800000000n, 1n), '2001:db8::1'],
    [v6(0x20010db800000000n, 0x0001000000000001n), '2001:db8::1:0:0:1'], // first of two equal runs
    [v6(0x20010db800000001n, 0x0000000000000001n), '2001:db8:0:1::1'], // the longer run wins
    [v6(0x20010db800000001n, 0x0001000100010001n), '2001:db8:0:1:1:1:1:1'], // one zero is not shortened
    [v6(0x0001000200030004n, 0x0005000600070000n), '1:2:3:4:5:6:7:0'],
    [v6(0xfe80000000000000n, 0x0000000000abcdefn), 'fe80::ab:cdef'],
    [v6(0n, 0x0000ffff0a010203n), '::ffff:10.1.2.3'],
  ];
  for (const [address, expected] of cases) {
    test(`writes ${expected} in canonical form`, () => {
      assert.equal(ipAddressToString(address), expected);
    });
  }

  test('writes IPv6 as WHATWG URLs do (RFC 5952) for 500 pseudo-random addresses', () => {
    const random = seededRandom(5952);
    for (let i = 0; i < 500; i++) {
      const hextets = Array.from({ length: 8 }, () => (random() < 0.4 ? 0 : Math.floor(random() * 0x10000)));
      const text = hextets.map((h) => h.toString(16)).join(':');
      const address = ipAddressFromString(text);
      if (address.ip?.$case === 'ipv6' && address.ip.ipv6.first === 0n && address.ip.ipv6.last >> 32n === 0xffffn) {
        continue; // URLs write IPv4-mapped addresses in hex; we use the dotted form
      }
      assert.equal(`[${ipAddressToString(address)}]`, new URL(`http://[${text}]/`).hostname, text);
    }
  });

  test('round-trips every canonical string it writes', () => {
    for (const [address, text] of cases) assert.deepStrictEqual(ipAddressFromString(text), address);
  });

  const broken: [string, IPAddress | undefined][] = [
    ['no address at all', undefined],
    ['an empty oneof', {}],
    ['an IPv4 number above 32 bits', v4(2 ** 32)],
    ['a negative IPv4 number', v4(-1)],
    ['a fractional IPv4 number', v4(1.5)],
    ['an IPv6 half above 64 bits', v6(1n << 64n, 0n)],
    ['a negative IPv6 half', v6(0n, -1n)],
  ];
  for (const [what, address] of broken) {
    test(`rejects ${what} with ProtobufDecodeError`, () => {
      assert.throws(() => ipAddressToString(address), ProtobufDecodeError);
    });
  }
});

describe('TcpAddress helpers', () => {
  test('build and take apart an IPv4 address and port', () => {
    const address = tcpAddressFromParts('10.1.2.3', 8080);
    assert.deepStrictEqual(address, TcpAddress.create({ ip: v4(0x0a010203), port: 8080 }));
    assert.deepStrictEqual(tcpAddressToParts(address), { host: '10.1.2.3', port: 8080, family: 'ipv4' });
    assert.equal(formatTcpAddress(address), '10.1.2.3:8080');
  });

  test('build and take apart an IPv6 address and port, canonicalising the host', () => {
    const address = tcpAddressFromParts('2001:DB8:0::0:1', 443);
    assert.deepStrictEqual(tcpAddressToParts(address), { host: '2001:db8::1', port: 443, family: 'ipv6' });
    assert.equal(formatTcpAddress(address), '[2001:db8::1]:443');
  });

  test('survive the wire', () => {
    const address = tcpAddressFromParts('::ffff:192.0.2.1', 65535);
    const decoded = TcpAddress.decode(TcpAddress.encode(address).finish());
    assert.equal(formatTcpAddress(decoded), '[::ffff:192.0.2.1]:65535');
  });

  const authorities: [string, string][] = [
    ['10.1.2.3:80', '10.1.2.3:80'],
    ['[::1]:4143', '[::1]:4143'],
    ['[2001:0db8::0001]:1', '[2001:db8::1]:1'],
  ];
  for (const [text, canonical] of authorities) {
    test(`parse the authority ${text}`, () => {
      assert.equal(formatTcpAddress(parseTcpAddress(text)), canonical);
    });
  }

  test('parse a dual-stack peer address as IPv4 when asked to', () => {
    assert.equal(formatTcpAddress(parseTcpAddress('[::ffff:10.1.2.3]:80', { unwrapIpv4Mapped: true })), '10.1.2.3:80');
  });

  const badPorts = [0, -1, 65536, 80.5, Number.NaN];
  for (const port of badPorts) {
    test(`reject port ${port} with InvalidAddressError`, () => {
      assert.throws(() => tcpAddressFromParts('10.1.2.3', port), InvalidAddressError);
    });
  }

  const badAuthorities = [
    '10.1.2.3',
    '10.1.2.3:',
    ':80',
    '::1:80',
    '[10.1.2.3]:80',
    '[::1]',
    '[::1]:123456',
    'web:80',
    '10.1.2.3:0',
  ];
  for (const text of badAuthorities) {
    test(`reject the authority ${JSON.stringify(text)} with InvalidAddressError`, () => {
      assert.throws(() => parseTcpAddress(text), InvalidAddressError);
    });
  }

  const badMessages: [string, TcpAddress][] = [
    ['no ip', TcpAddress.create({ port: 80 })],
    ['port 0', TcpAddress.create({ ip: v4(1), port: 0 })],
    ['port 65536', TcpAddress.create({ ip: v4(1), port: 65536 })],
  ];
  for (const [what, message] of badMessages) {
    test(`reject a message with ${what} with ProtobufDecodeError`, () => {
      assert.throws(() => tcpAddressToParts(message), ProtobufDecodeError);
    });
  }

  test('name the offending input in the error', () => {
    assert.throws(
      () => parseTcpAddress('web:80'),
      (err: unknown) =>
        err instanceof InvalidAddressError && err.fields['input'] === 'web:80' && /web:80/.test(err.message),
    );
  });
});
