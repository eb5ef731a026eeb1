// Round-trip tests for every generated message: encode, decode, and get the same value back, with
// maps, oneofs (every case), nested Seqs, repeated fields, 64-bit values, Timestamps and Durations.
// A completeness test fails when a generated codec has no sample here.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import * as durationModule from './gen/google/protobuf/duration.ts';
import * as timestampModule from './gen/google/protobuf/timestamp.ts';
import * as destinationModule from './gen/io/linkerd/proxy/destination/destination.ts';
import * as httpTypesModule from './gen/io/linkerd/proxy/http_types/http_types.ts';
import * as identityModule from './gen/io/linkerd/proxy/identity/identity.ts';
import * as metaModule from './gen/io/linkerd/proxy/meta/meta.ts';
import * as netModule from './gen/io/linkerd/proxy/net/net.ts';
import * as headerModule from './gen/transport/l5d/io/header.ts';

const { Duration } = durationModule;
const { Timestamp } = timestampModule;
const {
  AddrSet,
  AuthorityOverride,
  DestinationProfile,
  GetDestination,
  Http2ClientParams,
  Http2ClientParams_FlowControl,
  Http2ClientParams_Internals,
  Http2ClientParams_KeepAlive,
  HttpStatusRange,
  NoEndpoints,
  PathMatch,
  ProtocolHint,
  ProtocolHint_H2,
  ProtocolHint_Opaque,
  ProtocolHint_OpaqueTransport,
  RequestMatch,
  RequestMatch_Seq,
  ResponseClass,
  ResponseMatch,
  ResponseMatch_Seq,
  RetryBudget,
  Route,
  Route_MetricsLabelsEntry,
  TlsIdentity,
  TlsIdentity_DnsLikeIdentity,
  TlsIdentity_UriLikeIdentity,
  Update,
  WeightedAddr,
  WeightedAddrSet,
  WeightedAddrSet_BalancerAnnotationsEntry,
  WeightedAddrSet_MetricLabelsEntry,
  WeightedAddr_MetricLabelsEntry,
  WeightedDst,
} = destinationModule;
const { HttpMethod, HttpMethod_Registered, Scheme, Scheme_Registered } = httpTypesModule;
const { CertifyRequest, CertifyResponse } = identityModule;
const { Metadata, Resource } = metaModule;
const { IPAddress, IPv6, TcpAddress } = netModule;
const { Header, SessionProtocol, SessionProtocol_Http1, SessionProtocol_Http2 } = headerModule;

interface Codec<T> {
  encode(message: T): { finish(): Uint8Array };
  decode(bytes: Uint8Array): T;
}

interface Sample {
  readonly description: string;
  readonly roundTrip: () => { readonly decoded: unknown; readonly original: unknown };
}

const samplesByCodec = new Map<string, Sample[]>();

/** Registers samples for one codec; `module.Name` keys match the completeness check below. */
function samples<T>(key: string, codec: Codec<T>, cases: Record<string, T>): void {
  const list = Object.entries(cases).map(([description, original]) => ({
    description,
    roundTrip: () => ({ decoded: codec.decode(codec.encode(original).finish()), original }),
  }));
  samplesByCodec.set(key, [...(samplesByCodec.get(key) ?? []), ...list]);
}

// ---- shared building blocks -------------------------------------------------------------------

const ipv4 = IPAddress.create({ ip: { $case: 'ipv4', ipv4: 0x0a010203 } });
const ipv6 = IPAddress.create({
  ip: { $case: 'ipv6', ipv6: { first: 0x20010db800000000n, last: 0xffff_ffff_ffff_ffffn } },
});
const addrV4 = TcpAddress.create({ ip: ipv4, port: 8080 });
const addrV6 = TcpAddress.create({ ip: ipv6, port: 65535 });
const podRef = Metadata.create({
  kind: { $case: 'resource', resource: { group: 'core', kind: 'Pod', name: 'web-0', namespace: 'shop' } },
});
const seconds10 = Duration.create({ seconds: 10n, nanos: 0 });
const http2Params = Http2ClientParams.create({
  flowControl: { initialConnectionWindowSize: 1_048_576, initialStreamWindowSize: 65_535, adaptiveFlowControl: true },
  keepAlive: { interval: seconds10, timeout: { seconds: 3n, nanos: 500_000_000 }, whileIdle: true },
  internals: { maxConcurrentResetStreams: 50, maxFrameSize: 16_384, maxSendBufSize: 409_600 },
});
const fullEndpoint = WeightedAddr.create({
  addr: addrV6,
  weight: 10_000,
  metricLabels: { pod: 'web-0', serviceaccount: 'web', zone: '', zone_locality: 'local' },
  tlsIdentity: {
    strategy: {
      $case: 'dnsLikeIdentity',
      dnsLikeIdentity: { name: 'web.shop.serviceaccount.identity.nodemesh.cluster.local' },
    },
    serverName: { name: 'web.shop.serviceaccount.identity.nodemesh.cluster.local' },
  },
  protocolHint: { protocol: { $case: 'h2', h2: {} }, opaqueTransport: { inboundPort: 4143 } },
  authorityOverride: { authorityOverride: 'web.shop.svc.cluster.local:8080' },
  http2: http2Params,
  resourceRef: podRef,
});
const getPath = RequestMatch.create({ match: { $case: 'path', path: { regex: '/books/[^/]+' } } });
const getMethod = RequestMatch.create({
  match: { $case: 'method', method: { type: { $case: 'registered', registered: HttpMethod_Registered.GET } } },
});
const serverErrors = ResponseMatch.create({ match: { $case: 'status', status: { min: 500, max: 599 } } });

// ---- io.linkerd.proxy.identity ----------------------------------------------------------------

samples('identity.CertifyRequest', CertifyRequest, {
  'a full request': CertifyRequest.create({
    identity: 'web.shop.serviceaccount.identity.nodemesh.cluster.local',
    token: Buffer.from([0x65, 0x79, 0x4a, 0x00, 0xff]),
    certificateSigningRequest: Buffer.from([0x30, 0x82, 0x01, 0x0a, 0x00]),
  }),
  'an empty request': CertifyRequest.create({}),
});
samples('identity.CertifyResponse', CertifyResponse, {
  'a leaf, two intermediates and an expiry with nanos': CertifyResponse.create({
    leafCertificate: Buffer.from([0x30, 0x82, 0x02, 0x01]),
    intermediateCertificates: [Buffer.from([0x30, 0x01]), Buffer.from([0x30, 0x02, 0x00])],
    validUntil: { seconds: 1_800_000_000n, nanos: 123_456_789 },
  }),
  'no expiry': CertifyResponse.create({ leafCertificate: Buffer.from([1]) }),
});

// ---- io.linkerd.proxy.net ---------------------------------------------------------------------

samples('net.IPAddress', IPAddress, {
  'IPv4 10.1.2.3': ipv4,
  'IPv4 255.255.255.255 (top bit set)': IPAddress.create({ ip: { $case: 'ipv4', ipv4: 0xffff_ffff } }),
  'IPv4 0.0.0.0 (zero still present in the oneof)': IPAddress.create({ ip: { $case: 'ipv4', ipv4: 0 } }),
  'IPv6 with an all-ones half': ipv6,
  neither: IPAddress.create({}),
});
samples('net.IPv6', IPv6, {
  'the largest halves': IPv6.create({ first: 0xffff_ffff_ffff_ffffn, last: 0xffff_ffff_ffff_ffffn }),
  '::1': IPv6.create({ first: 0n, last: 1n }),
});
samples('net.TcpAddress', TcpAddress, { 'an IPv4 address': addrV4, 'an IPv6 address': addrV6 });

// ---- io.linkerd.proxy.http_types --------------------------------------------------------------

samples('http_types.HttpMethod', HttpMethod, {
  'registered GET (enum zero inside a oneof)': HttpMethod.create({
    type: { $case: 'registered', registered: HttpMethod_Registered.GET },
  }),
  'registered TRACE': HttpMethod.create({ type: { $case: 'registered', registered: HttpMethod_Registered.TRACE } }),
  'unregistered PROPFIND': HttpMethod.create({ type: { $case: 'unregistered', unregistered: 'PROPFIND' } }),
});
samples('http_types.Scheme', Scheme, {
  'registered HTTPS': Scheme.create({ type: { $case: 'registered', registered: Scheme_Registered.HTTPS } }),
  'unregistered ws': Scheme.create({ type: { $case: 'unregistered', unregistered: 'ws' } }),
});

// ---- io.linkerd.proxy.meta --------------------------------------------------------------------

samples('meta.Metadata', Metadata, {
  'a default': Metadata.create({ kind: { $case: 'default', default: 'all-authenticated' } }),
  'a resource': podRef,
});
samples('meta.Resource', Resource, {
  'every field': Resource.create({
    group: 'gateway.networking.k8s.io',
    kind: 'HTTPRoute',
    name: 'books',
    namespace: 'shop',
    section: 'rule-1',
    port: 8080,
  }),
});

// ---- io.linkerd.proxy.destination: Get --------------------------------------------------------

samples('destination.GetDestination', GetDestination, {
  'a lookup with a context token': GetDestination.create({
    scheme: 'k8s',
    path: 'web.shop.svc.cluster.local:8080',
    contextToken: '{"ns":"shop","nodeName":"node-1","pod":"web-0"}',
  }),
});
samples('destination.Update', Update, {
  add: Update.create({
    update: {
      $case: 'add',
      add: { addrs: [fullEndpoint, { addr: addrV4, weight: 10_000 }], metricLabels: { service: 'web' } },
    },
  }),
  'add of an empty set': Update.create({ update: { $case: 'add', add: {} } }),
  remove: Update.create({ update: { $case: 'remove', remove: { addrs: [addrV4, addrV6] } } }),
  'no endpoints, service exists': Update.create({ update: { $case: 'noEndpoints', noEndpoints: { exists: true } } }),
  'no endpoints, unknown service': Update.create({ update: { $case: 'noEndpoints', noEndpoints: { exists: false } } }),
});
samples('destination.AddrSet', AddrSet, { 'two addresses': AddrSet.create({ addrs: [addrV4, addrV6] }) });
samples('destination.WeightedAddrSet', WeightedAddrSet, {
  'endpoints and set labels': WeightedAddrSet.create({
    addrs: [fullEndpoint, fullEndpoint],
    metricLabels: { service: 'web', namespace: 'shop' },
  }),
  'with the nodemesh balancer annotations': WeightedAddrSet.create({
    addrs: [fullEndpoint],
    metricLabels: { service: 'web' },
    balancerAnnotations: { 'balancer.linkerd.io/failure-accrual': 'consecutive' },
  }),
});
samples('destination.WeightedAddrSet_MetricLabelsEntry', WeightedAddrSet_MetricLabelsEntry, {
  'one entry': WeightedAddrSet_MetricLabelsEntry.create({ key: 'service', value: 'web' }),
});
samples('destination.WeightedAddrSet_BalancerAnnotationsEntry', WeightedAddrSet_BalancerAnnotationsEntry, {
  'one entry': WeightedAddrSet_BalancerAnnotationsEntry.create({
    key: 'balancer.linkerd.io/failure-accrual',
    value: 'consecutive',
  }),
});
samples('destination.WeightedAddr', WeightedAddr, {
  'every field': fullEndpoint,
  'address and weight only': WeightedAddr.create({ addr: addrV4, weight: 1 }),
});
samples('destination.WeightedAddr_MetricLabelsEntry', WeightedAddr_MetricLabelsEntry, {
  'one entry': WeightedAddr_MetricLabelsEntry.create({ key: 'pod', value: 'web-0' }),
});
samples('destination.TlsIdentity', TlsIdentity, {
  'a DNS-like identity with a server name': TlsIdentity.create(fullEndpoint.tlsIdentity),
  'a URI-like identity': TlsIdentity.create({
    strategy: { $case: 'uriLikeIdentity', uriLikeIdentity: { uri: 'spiffe://cluster.local/ns/shop/sa/web' } },
  }),
});
samples('destination.TlsIdentity_DnsLikeIdentity', TlsIdentity_DnsLikeIdentity, {
  'a name': TlsIdentity_DnsLikeIdentity.create({ name: 'web.shop.serviceaccount.identity.nodemesh.cluster.local' }),
});
samples('destination.TlsIdentity_UriLikeIdentity', TlsIdentity_UriLikeIdentity, {
  'a SPIFFE ID': TlsIdentity_UriLikeIdentity.create({ uri: 'spiffe://cluster.local/ns/shop/sa/web' }),
});
samples('destination.AuthorityOverride', AuthorityOverride, {
  'an authority': AuthorityOverride.create({ authorityOverride: 'gateway.remote.example:4143' }),
});
samples('destination.NoEndpoints', NoEndpoints, {
  exists: NoEndpoints.create({ exists: true }),
  'does not exist': NoEndpoints.create({ exists: false }),
});
samples('destination.ProtocolHint', ProtocolHint, {
  'h2 with opaque transport': ProtocolHint.create(fullEndpoint.protocolHint),
  'opaque with opaque transport': ProtocolHint.create({
    protocol: { $case: 'opaque', opaque: {} },
    opaqueTransport: { inboundPort: 4143 },
  }),
  'nothing known': ProtocolHint.create({}),
});
samples('destination.ProtocolHint_H2', ProtocolHint_H2, { empty: ProtocolHint_H2.create({}) });
samples('destination.ProtocolHint_Opaque', ProtocolHint_Opaque, { empty: ProtocolHint_Opaque.create({}) });
samples('destination.ProtocolHint_OpaqueTransport', ProtocolHint_OpaqueTransport, {
  'the inbound port': ProtocolHint_OpaqueTransport.create({ inboundPort: 4143 }),
});
samples('destination.Http2ClientParams', Http2ClientParams, { 'every setting': http2Params });
samples('destination.Http2ClientParams_FlowControl', Http2ClientParams_FlowControl, {
  'windows and adaptive': Http2ClientParams_FlowControl.create(http2Params.flowControl),
});
samples('destination.Http2ClientParams_KeepAlive', Http2ClientParams_KeepAlive, {
  'interval, timeout with nanos, while idle': Http2ClientParams_KeepAlive.create(http2Params.keepAlive),
});
samples('destination.Http2ClientParams_Internals', Http2ClientParams_Internals, {
  'every limit': Http2ClientParams_Internals.create(http2Params.internals),
});

// ---- io.linkerd.proxy.destination: GetProfile -------------------------------------------------

const booksRoute = Route.create({
  condition: {
    match: {
      $case: 'all',
      all: {
        matches: [
          getMethod,
          { match: { $case: 'any', any: { matches: [getPath, { match: { $case: 'not', not: getMethod } }] } } },
        ],
      },
    },
  },
  responseClasses: [
    { condition: serverErrors, isFailure: true },
    {
      condition: { match: { $case: 'not', not: { match: { $case: 'any', any: { matches: [serverErrors] } } } } },
      isFailure: false,
    },
  ],
  metricsLabels: { route: 'GET /books/{id}' },
  isRetryable: true,
  timeout: { seconds: 0n, nanos: 250_000_000 },
});

samples('destination.DestinationProfile', DestinationProfile, {
  'every field': DestinationProfile.create({
    routes: [booksRoute, Route.create({ condition: getPath })],
    retryBudget: { retryRatio: 0.25, minRetriesPerSecond: 10, ttl: seconds10 },
    dstOverrides: [
      { authority: 'web-v1.shop.svc.cluster.local:8080', weight: 900, backendRef: podRef },
      { authority: 'web-v2.shop.svc.cluster.local:8080', weight: 100 },
    ],
    opaqueProtocol: true,
    fullyQualifiedName: 'web.shop.svc.cluster.local',
    endpoint: fullEndpoint,
    parentRef: Metadata.create({
      kind: {
        $case: 'resource',
        resource: { group: 'core', kind: 'Service', name: 'web', namespace: 'shop', port: 8080 },
      },
    }),
    profileRef: Metadata.create({
      kind: {
        $case: 'resource',
        resource: {
          group: 'nodemesh.io',
          kind: 'ServiceProfile',
          name: 'web.shop.svc.cluster.local',
          namespace: 'shop',
        },
      },
    }),
  }),
  'the default profile': DestinationProfile.create({ fullyQualifiedName: 'web.shop.svc.cluster.local' }),
});
samples('destination.Route', Route, { 'nested matches, classes, labels, timeout': booksRoute });
samples('destination.Route_MetricsLabelsEntry', Route_MetricsLabelsEntry, {
  'one entry': Route_MetricsLabelsEntry.create({ key: 'route', value: 'GET /books/{id}' }),
});
samples('destination.RequestMatch', RequestMatch, {
  all: RequestMatch.create(booksRoute.condition),
  any: RequestMatch.create({ match: { $case: 'any', any: { matches: [getPath, getMethod] } } }),
  not: RequestMatch.create({ match: { $case: 'not', not: getPath } }),
  path: getPath,
  'registered method': getMethod,
  'unregistered method': RequestMatch.create({
    match: { $case: 'method', method: { type: { $case: 'unregistered', unregistered: 'PURGE' } } },
  }),
});
samples('destination.RequestMatch_Seq', RequestMatch_Seq, {
  'two matches': RequestMatch_Seq.create({ matches: [getPath, getMethod] }),
  none: RequestMatch_Seq.create({}),
});
samples('destination.PathMatch', PathMatch, { 'a regex': PathMatch.create({ regex: '^/api/v[0-9]+/.*$' }) });
samples('destination.ResponseClass', ResponseClass, {
  'failure on 5xx': ResponseClass.create({ condition: serverErrors, isFailure: true }),
});
samples('destination.ResponseMatch', ResponseMatch, {
  all: ResponseMatch.create({ match: { $case: 'all', all: { matches: [serverErrors, serverErrors] } } }),
  any: ResponseMatch.create({ match: { $case: 'any', any: { matches: [serverErrors] } } }),
  not: ResponseMatch.create({ match: { $case: 'not', not: serverErrors } }),
  status: serverErrors,
});
samples('destination.ResponseMatch_Seq', ResponseMatch_Seq, {
  'one match': ResponseMatch_Seq.create({ matches: [serverErrors] }),
});
samples('destination.HttpStatusRange', HttpStatusRange, {
  '5xx': HttpStatusRange.create({ min: 500, max: 599 }),
  'one code': HttpStatusRange.create({ min: 429 }),
});
samples('destination.RetryBudget', RetryBudget, {
  'a ratio exactly representable as a 32-bit float': RetryBudget.create({
    retryRatio: 0.25,
    minRetriesPerSecond: 10,
    ttl: seconds10,
  }),
  'a ratio already rounded to 32 bits': RetryBudget.create({ retryRatio: Math.fround(0.2) }),
});
samples('destination.WeightedDst', WeightedDst, {
  'with a backend ref': WeightedDst.create({
    authority: 'web-v2.shop.svc.cluster.local:8080',
    weight: 100,
    backendRef: podRef,
  }),
});

// ---- transport.l5d.io -------------------------------------------------------------------------

samples('header.Header', Header, {
  'port, name and HTTP/2': Header.create({
    port: 8080,
    name: 'web.shop.svc.cluster.local',
    sessionProtocol: { kind: { $case: 'http2', http2: {} } },
  }),
  'port and HTTP/1': Header.create({ port: 80, sessionProtocol: { kind: { $case: 'http1', http1: {} } } }),
  opaque: Header.create({ port: 5432 }),
  'a negative port survives the wire (rejected later by the framing)': Header.create({ port: -1 }),
});
samples('header.SessionProtocol', SessionProtocol, {
  http1: SessionProtocol.create({ kind: { $case: 'http1', http1: {} } }),
  http2: SessionProtocol.create({ kind: { $case: 'http2', http2: {} } }),
});
samples('header.SessionProtocol_Http1', SessionProtocol_Http1, { empty: SessionProtocol_Http1.create({}) });
samples('header.SessionProtocol_Http2', SessionProtocol_Http2, { empty: SessionProtocol_Http2.create({}) });

// ---- google.protobuf --------------------------------------------------------------------------

samples('timestamp.Timestamp', Timestamp, {
  'seconds and nanos': Timestamp.create({ seconds: 1_800_000_000n, nanos: 999_999_999 }),
  'before the epoch': Timestamp.create({ seconds: -62_135_596_800n, nanos: 0 }),
});
samples('duration.Duration', Duration, {
  positive: Duration.create({ seconds: 315_576_000_000n, nanos: 1 }),
  negative: Duration.create({ seconds: -1n, nanos: -500_000_000 }),
});

// ---- the tests --------------------------------------------------------------------------------

describe('every generated message', () => {
  for (const [key, list] of samplesByCodec) {
    for (const sample of list) {
      test(`${key} survives encode and decode: ${sample.description}`, () => {
        const { decoded, original } = sample.roundTrip();
        assert.deepStrictEqual(decoded, original);
      });
    }
  }

  test('has round-trip samples for every codec the generator emits', () => {
    const modules: Record<string, Record<string, unknown>> = {
      identity: identityModule,
      net: netModule,
      http_types: httpTypesModule,
      meta: metaModule,
      destination: destinationModule,
      header: headerModule,
      timestamp: timestampModule,
      duration: durationModule,
    };
    const codecs = Object.entries(modules).flatMap(([prefix, module]) =>
      Object.entries(module)
        .filter(([, value]) => isCodec(value))
        .map(([name]) => `${prefix}.${name}`),
    );
    assert.ok(codecs.length > 40, `found only ${codecs.length} codecs`);
    const missing = codecs.filter((key) => !samplesByCodec.has(key));
    assert.deepStrictEqual(missing, [], 'codecs without round-trip samples');
  });
});

function isCodec(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { encode?: unknown }).encode === 'function' &&
    typeof (value as { decode?: unknown }).decode === 'function'
  );
}
