// Hand-computed wire bytes for a few messages, proving field numbers and wire types against
// Linkerd2's definitions. Each tag byte is (field_number << 3) | wire_type, with wire types
// 0 = varint, 1 = fixed64 (little-endian), 2 = length-delimited, 5 = fixed32 (little-endian).
// The expected bytes are written out by hand, never produced by the encoder under test.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { CertifyRequest, CertifyResponse } from './gen/io/linkerd/proxy/identity/identity.ts';
import {
  DestinationProfile,
  ProtocolHint,
  TlsIdentity,
  Update,
  WeightedAddr,
} from './gen/io/linkerd/proxy/destination/destination.ts';
import { HttpMethod, HttpMethod_Registered } from './gen/io/linkerd/proxy/http_types/http_types.ts';
import { Metadata } from './gen/io/linkerd/proxy/meta/meta.ts';
import { TcpAddress } from './gen/io/linkerd/proxy/net/net.ts';
import { Header } from './gen/transport/l5d/io/header.ts';

interface Codec<T> {
  encode(message: T): { finish(): Uint8Array };
  decode(bytes: Uint8Array): T;
}

interface Vector {
  readonly name: string;
  readonly check: () => void;
}

function vector<T>(name: string, codec: Codec<T>, message: T, bytes: readonly number[]): Vector {
  return {
    name,
    check: () => {
      assert.deepStrictEqual(
        Buffer.from(codec.encode(message).finish()).toString('hex'),
        Buffer.from(bytes).toString('hex'),
      );
      assert.deepStrictEqual(codec.decode(Uint8Array.from(bytes)), message);
    },
  };
}

const ascii = (text: string): number[] => [...Buffer.from(text, 'latin1')];

const vectors: Vector[] = [
  vector(
    'CertifyRequest carries identity, token and CSR in fields 1, 2 and 3',
    CertifyRequest,
    CertifyRequest.create({
      identity: 'web.ns',
      token: Buffer.from([0x01, 0x02, 0x03]),
      certificateSigningRequest: Buffer.from([0x30, 0x00]),
    }),
    [
      0x0a,
      0x06,
      ...ascii('web.ns'), // identity: (1<<3)|2, length 6
      0x12,
      0x03,
      0x01,
      0x02,
      0x03, // token: (2<<3)|2, length 3
      0x1a,
      0x02,
      0x30,
      0x00, // certificate_signing_request: (3<<3)|2, length 2
    ],
  ),
  vector(
    'CertifyResponse carries the leaf, repeated intermediates and a Timestamp in fields 1, 2 and 3',
    CertifyResponse,
    CertifyResponse.create({
      leafCertificate: Buffer.from([0x30]),
      intermediateCertificates: [Buffer.from([0x31]), Buffer.from([0x32])],
      validUntil: { seconds: 1n, nanos: 2 },
    }),
    [
      0x0a,
      0x01,
      0x30, // leaf_certificate: (1<<3)|2
      0x12,
      0x01,
      0x31, // intermediate_certificates[0]: (2<<3)|2
      0x12,
      0x01,
      0x32, // intermediate_certificates[1]: (2<<3)|2 again (repeated)
      0x1a,
      0x04, // valid_until: (3<<3)|2, length 4
      0x08,
      0x01, //   Timestamp.seconds: (1<<3)|0, 1
      0x10,
      0x02, //   Timestamp.nanos: (2<<3)|0, 2
    ],
  ),
  vector(
    'TcpAddress carries IPv4 as a fixed32 in IPAddress field 1 and the port in field 2',
    TcpAddress,
    TcpAddress.create({ ip: { ip: { $case: 'ipv4', ipv4: 0x0a010203 } }, port: 80 }),
    [
      0x0a,
      0x05, // ip: (1<<3)|2, length 5
      0x0d,
      0x03,
      0x02,
      0x01,
      0x0a, //   IPAddress.ipv4: (1<<3)|5, 10.1.2.3 = 0x0a010203 little-endian
      0x10,
      0x50, // port: (2<<3)|0, 80
    ],
  ),
  vector(
    'WeightedAddr carries an IPv6 address as fixed64 halves, weight in field 3 and labels in field 4',
    WeightedAddr,
    WeightedAddr.create({
      addr: { ip: { ip: { $case: 'ipv6', ipv6: { first: 0x20010db800000000n, last: 1n } } }, port: 8080 },
      weight: 10_000,
      metricLabels: { pod: 'web-0' },
    }),
    [
      0x0a,
      0x19, // addr: (1<<3)|2, length 25
      0x0a,
      0x14, //   TcpAddress.ip: (1<<3)|2, length 20
      0x12,
      0x12, //     IPAddress.ipv6: (2<<3)|2, length 18
      0x09,
      0x00,
      0x00,
      0x00,
      0x00,
      0xb8,
      0x0d,
      0x01,
      0x20, // IPv6.first: (1<<3)|1, 0x20010db800000000 LE
      0x11,
      0x01,
      0x00,
      0x00,
      0x00,
      0x00,
      0x00,
      0x00,
      0x00, // IPv6.last: (2<<3)|1, 1 LE
      0x10,
      0x90,
      0x3f, //   TcpAddress.port: (2<<3)|0, varint 8080 = 0x90 0x3f
      0x18,
      0x90,
      0x4e, // weight: (3<<3)|0, varint 10000 = 0x90 0x4e
      0x22,
      0x0c, // metric_labels entry: (4<<3)|2, length 12
      0x0a,
      0x03,
      ...ascii('pod'), //   key: (1<<3)|2
      0x12,
      0x05,
      ...ascii('web-0'), //   value: (2<<3)|2
    ],
  ),
  vector(
    'Update carries no_endpoints{exists: true} in field 3',
    Update,
    Update.create({ update: { $case: 'noEndpoints', noEndpoints: { exists: true } } }),
    [
      0x1a,
      0x02, // no_endpoints: (3<<3)|2, length 2
      0x08,
      0x01, //   NoEndpoints.exists: (1<<3)|0, true
    ],
  ),
  vector(
    'Update carries no_endpoints{exists: false} as an empty but present field 3',
    Update,
    Update.create({ update: { $case: 'noEndpoints', noEndpoints: { exists: false } } }),
    [0x1a, 0x00], // no_endpoints: (3<<3)|2, length 0
  ),
  vector(
    'TlsIdentity carries dns_like_identity in field 1 and server_name in field 4',
    TlsIdentity,
    TlsIdentity.create({
      strategy: { $case: 'dnsLikeIdentity', dnsLikeIdentity: { name: 'a' } },
      serverName: { name: 'b' },
    }),
    [
      0x0a,
      0x03,
      0x0a,
      0x01,
      ...ascii('a'), // dns_like_identity: (1<<3)|2 { name: (1<<3)|2 }
      0x22,
      0x03,
      0x0a,
      0x01,
      ...ascii('b'), // server_name: (4<<3)|2 { name: (1<<3)|2 }
    ],
  ),
  vector(
    'TlsIdentity carries uri_like_identity in field 3',
    TlsIdentity,
    TlsIdentity.create({ strategy: { $case: 'uriLikeIdentity', uriLikeIdentity: { uri: 'u' } } }),
    [0x1a, 0x03, 0x0a, 0x01, ...ascii('u')], // uri_like_identity: (3<<3)|2 { uri: (1<<3)|2 }
  ),
  vector(
    'ProtocolHint carries opaque in field 3 and opaque_transport in field 2',
    ProtocolHint,
    ProtocolHint.create({ protocol: { $case: 'opaque', opaque: {} }, opaqueTransport: { inboundPort: 4143 } }),
    [
      0x1a,
      0x00, // opaque: (3<<3)|2, empty message
      0x12,
      0x03, // opaque_transport: (2<<3)|2, length 3
      0x08,
      0xaf,
      0x20, //   inbound_port: (1<<3)|0, varint 4143 = 0xaf 0x20
    ],
  ),
  vector(
    'HttpMethod carries registered GET (enum 0) in field 1, present because it is in a oneof',
    HttpMethod,
    HttpMethod.create({ type: { $case: 'registered', registered: HttpMethod_Registered.GET } }),
    [0x08, 0x00], // registered: (1<<3)|0, 0
  ),
  vector(
    'HttpMethod carries an unregistered method as a string in field 2',
    HttpMethod,
    HttpMethod.create({ type: { $case: 'unregistered', unregistered: 'PURGE' } }),
    [0x12, 0x05, ...ascii('PURGE')], // unregistered: (2<<3)|2
  ),
  vector(
    'DestinationProfile carries the retry budget (float, Duration), opaque flag and name in fields 2, 4, 5',
    DestinationProfile,
    DestinationProfile.create({
      retryBudget: { retryRatio: 0.25, minRetriesPerSecond: 10, ttl: { seconds: 10n, nanos: 0 } },
      opaqueProtocol: true,
      fullyQualifiedName: 'a.b',
    }),
    [
      0x12,
      0x0b, // retry_budget: (2<<3)|2, length 11
      0x0d,
      0x00,
      0x00,
      0x80,
      0x3e, //   retry_ratio: (1<<3)|5, float32 0.25 = 0x3e800000 LE
      0x10,
      0x0a, //   min_retries_per_second: (2<<3)|0, 10
      0x1a,
      0x02,
      0x08,
      0x0a, //   ttl: (3<<3)|2 { Duration.seconds: (1<<3)|0, 10 }
      0x20,
      0x01, // opaque_protocol: (4<<3)|0, true
      0x2a,
      0x03,
      ...ascii('a.b'), // fully_qualified_name: (5<<3)|2
    ],
  ),
  vector(
    'Metadata carries a Resource in field 2 with namespace in 4 and port in 6',
    Metadata,
    Metadata.create({ kind: { $case: 'resource', resource: { kind: 'S', namespace: 'n', port: 80 } } }),
    [
      0x12,
      0x08, // resource: (2<<3)|2, length 8
      0x12,
      0x01,
      ...ascii('S'), //   kind: (2<<3)|2
      0x22,
      0x01,
      ...ascii('n'), //   namespace: (4<<3)|2
      0x30,
      0x50, //   port: (6<<3)|0, 80
    ],
  ),
  vector(
    'transport Header carries the port in field 1 and an http2 session protocol in field 3',
    Header,
    Header.create({ port: 8080, sessionProtocol: { kind: { $case: 'http2', http2: {} } } }),
    [
      0x08,
      0x90,
      0x3f, // port: (1<<3)|0, varint 8080
      0x1a,
      0x02, // session_protocol: (3<<3)|2, length 2
      0x12,
      0x00, //   SessionProtocol.http2: (2<<3)|2, empty message
    ],
  ),
];

for (const { name, check } of vectors) test(name, check);

test('a WeightedAddr from a peer with fields in another order still decodes', () => {
  const bytes = [
    0x18,
    0x90,
    0x4e, // weight first: (3<<3)|0, 10000
    0x0a,
    0x09,
    0x0a,
    0x05,
    0x0d,
    0x03,
    0x02,
    0x01,
    0x0a,
    0x10,
    0x50, // addr 10.1.2.3:80
  ];
  assert.deepStrictEqual(
    WeightedAddr.decode(Uint8Array.from(bytes)),
    WeightedAddr.create({ addr: { ip: { ip: { $case: 'ipv4', ipv4: 0x0a010203 } }, port: 80 }, weight: 10_000 }),
  );
});

test('a DestinationProfile with an unknown field 9 from a newer control plane still decodes', () => {
  const bytes = [
    0x48,
    0x02, // field 9: (9<<3)|0, varint 2 (unknown to us, skipped)
    0x2a,
    0x03,
    ...ascii('a.b'), // fully_qualified_name: (5<<3)|2
  ];
  assert.deepStrictEqual(
    DestinationProfile.decode(Uint8Array.from(bytes)),
    DestinationProfile.create({ fullyQualifiedName: 'a.b' }),
  );
});
