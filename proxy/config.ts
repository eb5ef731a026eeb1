// The sidecar proxy's settings: Linkerd's LINKERD2_PROXY_* set renamed NODEMESH_PROXY_*
// (shared/reference/linkerd.md §4.12 and §4.13), parsed once at start and frozen.
//
// Contract: parseProxyConfig reads every setting, collects every problem, and throws one
// ConfigError naming each bad variable, its value and what is allowed; otherwise it returns a
// deep-frozen ProxyConfig. Every variable has a default except the identity ones, which are
// required unless identity is disabled.

import { SettingsReader, type EnvSource, type HostPort, type SocketAddress } from '../src/config/index.ts';
import { readLogConfig, type LogConfig } from '../src/log/index.ts';
import { isDnsName } from '../src/tls/index.ts';
import { formatCidr, parseCidr } from './init/cidr.ts';
import {
  BALANCER_STRATEGIES,
  DEFAULT_FAILURE_ACCRUAL,
  resolveFailureAccrualOptions,
  type BalancerStrategy,
  type ResolvedFailureAccrualOptions,
} from './balance/index.ts';
import { DEFAULT_V8_MEMORY_MODE, V8_MEMORY_MODES, type V8MemoryMode } from './v8-memory.ts';

export const ENV_OUTBOUND_LISTEN_ADDRS = 'NODEMESH_PROXY_OUTBOUND_LISTEN_ADDRS';
export const ENV_INBOUND_LISTEN_ADDR = 'NODEMESH_PROXY_INBOUND_LISTEN_ADDR';
export const ENV_ADMIN_LISTEN_ADDR = 'NODEMESH_PROXY_ADMIN_LISTEN_ADDR';
export const ENV_CONTROL_LISTEN_ADDR = 'NODEMESH_PROXY_CONTROL_LISTEN_ADDR';
export const ENV_TAP_MAX_RATE = 'NODEMESH_PROXY_TAP_MAX_RATE';
export const ENV_TAP_MAX_SESSIONS = 'NODEMESH_PROXY_TAP_MAX_SESSIONS';
export const ENV_TAP_AUTHORIZED_IDENTITIES = 'NODEMESH_PROXY_TAP_AUTHORIZED_IDENTITIES';
export const ENV_INBOUND_DETECT_TIMEOUT = 'NODEMESH_PROXY_INBOUND_DETECT_TIMEOUT';
export const ENV_HTTP1_HEADER_READ_TIMEOUT = 'NODEMESH_PROXY_HTTP1_HEADER_READ_TIMEOUT';
export const ENV_HTTP1_MAX_HEADERS = 'NODEMESH_PROXY_HTTP1_MAX_HEADERS';
export const ENV_HTTP1_BODY_IDLE_TIMEOUT = 'NODEMESH_PROXY_HTTP1_BODY_IDLE_TIMEOUT';
export const ENV_OUTBOUND_DETECT_TIMEOUT = 'NODEMESH_PROXY_OUTBOUND_DETECT_TIMEOUT';
export const ENV_INBOUND_CONNECT_TIMEOUT = 'NODEMESH_PROXY_INBOUND_CONNECT_TIMEOUT';
export const ENV_OUTBOUND_CONNECT_TIMEOUT = 'NODEMESH_PROXY_OUTBOUND_CONNECT_TIMEOUT';
export const ENV_INBOUND_DEFAULT_POLICY = 'NODEMESH_PROXY_INBOUND_DEFAULT_POLICY';
export const ENV_INBOUND_PORTS_REQUIRE_IDENTITY = 'NODEMESH_PROXY_INBOUND_PORTS_REQUIRE_IDENTITY';
export const ENV_INBOUND_PORTS_DISABLE_PROTOCOL_DETECTION = 'NODEMESH_PROXY_INBOUND_PORTS_DISABLE_PROTOCOL_DETECTION';
export const ENV_POLICY_CLUSTER_NETWORKS = 'NODEMESH_PROXY_POLICY_CLUSTER_NETWORKS';
export const ENV_SHUTDOWN_GRACE_PERIOD = 'NODEMESH_PROXY_SHUTDOWN_GRACE_PERIOD';
export const ENV_SHUTDOWN_ENDPOINT_ENABLED = 'NODEMESH_PROXY_SHUTDOWN_ENDPOINT_ENABLED';
export const ENV_V8_MEMORY_MODE = 'NODEMESH_PROXY_V8_MEMORY_MODE';
/** The earlier boolean form of ENV_V8_MEMORY_MODE: true = optimize-for-size, false = node-defaults. */
export const ENV_OPTIMIZE_FOR_SIZE = 'NODEMESH_PROXY_OPTIMIZE_FOR_SIZE';
export const ENV_INGRESS_MODE = 'NODEMESH_PROXY_INGRESS_MODE';
export const ENV_OUTBOUND_HTTP1_OVER_HTTP2 = 'NODEMESH_PROXY_OUTBOUND_HTTP1_OVER_HTTP2';
export const ENV_OUTBOUND_FAILFAST_TIMEOUT = 'NODEMESH_PROXY_OUTBOUND_FAILFAST_TIMEOUT';
export const ENV_OUTBOUND_QUEUE_CAPACITY = 'NODEMESH_PROXY_OUTBOUND_QUEUE_CAPACITY';
export const ENV_OUTBOUND_BALANCER = 'NODEMESH_PROXY_OUTBOUND_BALANCER';
export const ENV_OUTBOUND_FAILURE_ACCRUAL = 'NODEMESH_PROXY_OUTBOUND_FAILURE_ACCRUAL';
export const ENV_OUTBOUND_FAILURE_ACCRUAL_MAX_FAILURES = 'NODEMESH_PROXY_OUTBOUND_FAILURE_ACCRUAL_MAX_FAILURES';
export const ENV_OUTBOUND_FAILURE_ACCRUAL_MIN_PENALTY = 'NODEMESH_PROXY_OUTBOUND_FAILURE_ACCRUAL_MIN_PENALTY';
export const ENV_OUTBOUND_FAILURE_ACCRUAL_MAX_PENALTY = 'NODEMESH_PROXY_OUTBOUND_FAILURE_ACCRUAL_MAX_PENALTY';
export const ENV_OUTBOUND_FAILURE_ACCRUAL_JITTER_RATIO = 'NODEMESH_PROXY_OUTBOUND_FAILURE_ACCRUAL_JITTER_RATIO';
export const ENV_IDENTITY_DISABLED = 'NODEMESH_PROXY_IDENTITY_DISABLED';
export const ENV_IDENTITY_DIR = 'NODEMESH_PROXY_IDENTITY_DIR';
export const ENV_IDENTITY_TRUST_ANCHORS = 'NODEMESH_PROXY_IDENTITY_TRUST_ANCHORS';
export const ENV_IDENTITY_TOKEN_FILE = 'NODEMESH_PROXY_IDENTITY_TOKEN_FILE';
export const ENV_IDENTITY_SVC_ADDR = 'NODEMESH_PROXY_IDENTITY_SVC_ADDR';
export const ENV_IDENTITY_SVC_NAME = 'NODEMESH_PROXY_IDENTITY_SVC_NAME';
export const ENV_IDENTITY_LOCAL_NAME = 'NODEMESH_PROXY_IDENTITY_LOCAL_NAME';
export const ENV_IDENTITY_MIN_REFRESH = 'NODEMESH_PROXY_IDENTITY_MIN_REFRESH';
export const ENV_IDENTITY_MAX_REFRESH = 'NODEMESH_PROXY_IDENTITY_MAX_REFRESH';
export const ENV_DESTINATION_SVC_ADDR = 'NODEMESH_PROXY_DESTINATION_SVC_ADDR';
export const ENV_DESTINATION_SVC_NAME = 'NODEMESH_PROXY_DESTINATION_SVC_NAME';
export const ENV_DESTINATION_CONTEXT = 'NODEMESH_PROXY_DESTINATION_CONTEXT';
export const ENV_DESTINATION_PROFILE_SUFFIXES = 'NODEMESH_PROXY_DESTINATION_PROFILE_SUFFIXES';

export const INBOUND_POLICIES = [
  'all-unauthenticated',
  'all-authenticated',
  'cluster-unauthenticated',
  'cluster-authenticated',
  'deny',
] as const;
export type InboundPolicy = (typeof INBOUND_POLICIES)[number];

export interface ProxyIdentityConfig {
  readonly dir: string;
  readonly trustAnchorsPem: string;
  readonly tokenFile: string;
  readonly svcAddr: HostPort;
  readonly svcName: string;
  readonly localName: string;
  readonly minRefreshMs: number;
  readonly maxRefreshMs: number;
}

export interface ProxyConfig {
  readonly log: LogConfig;
  readonly outboundListenAddrs: readonly SocketAddress[];
  readonly inboundListenAddr: SocketAddress;
  readonly adminListenAddr: SocketAddress;
  readonly controlListenAddr: SocketAddress;
  /** Tap (GET /tap on the control port, ADR 0013): the highest rate a session may ask for, events a second. */
  readonly tapMaxRate: number;
  /** Tap sessions open at once; more are answered 503 (0 turns tap off). */
  readonly tapMaxSessions: number;
  /** Mesh identities that may tap from off the loopback, over mTLS. */
  readonly tapAuthorizedIdentities: readonly string[];
  readonly inboundDetectTimeoutMs: number;
  readonly outboundDetectTimeoutMs: number;
  /** How long an HTTP/1 client may take to send a request's head (slowloris headers): 408 after. */
  readonly http1HeaderReadTimeoutMs: number;
  /** Header fields an HTTP/1 request may carry: 431 above. */
  readonly http1MaxHeaders: number;
  /** How long an HTTP/1 request body may go without a byte before the request is ended with 408 (slowloris bodies). */
  readonly http1BodyIdleTimeoutMs: number;
  readonly inboundConnectTimeoutMs: number;
  readonly outboundConnectTimeoutMs: number;
  readonly inboundDefaultPolicy: InboundPolicy;
  readonly inboundPortsRequireIdentity: readonly number[];
  readonly inboundPortsDisableProtocolDetection: readonly number[];
  /** The cluster's pod and service networks, for the cluster-* inbound policies. */
  readonly clusterNetworks: readonly string[];
  readonly shutdownGracePeriodMs: number;
  readonly shutdownEndpointEnabled: boolean;
  /**
   * Which V8 memory flags main.ts sets at start (proxy/v8-memory.ts; docs/performance.md, "V8's
   * heap settings"). Default bounded-growth: a sidecar runs in every pod, so its heap is kept small.
   */
  readonly v8MemoryMode: V8MemoryMode;
  readonly ingressMode: boolean;
  /** Carry HTTP/1 requests to meshed endpoints over one HTTP/2 connection per peer (l5d-orig-proto). */
  readonly outboundHttp1OverHttp2: boolean;
  /** How long outbound requests wait for a ready endpoint before the target fails fast. */
  readonly outboundFailFastTimeoutMs: number;
  /** Requests that may wait for an endpoint per target; more are shed (503). */
  readonly outboundQueueCapacity: number;
  readonly outboundBalancer: BalancerStrategy;
  /** Consecutive-failures accrual per endpoint; undefined when off (the default, as in Linkerd). */
  readonly outboundFailureAccrual: ResolvedFailureAccrualOptions | undefined;
  /** Absent when NODEMESH_PROXY_IDENTITY_DISABLED=true (plaintext mesh, local experiments only). */
  readonly identity: ProxyIdentityConfig | undefined;
  readonly destination: {
    readonly svcAddr: HostPort | undefined;
    /** The destination service's identity name: TLS verified against it; '' means plaintext. */
    readonly svcName: string;
    readonly contextToken: string;
    readonly profileSuffixes: readonly string[];
  };
}

const SECOND = 1000;
const DAY = 24 * 3600 * SECOND;

export function parseProxyConfig(env: EnvSource): ProxyConfig {
  const r = new SettingsReader('nodemesh proxy', env);
  const identityDisabled = r.bool(ENV_IDENTITY_DISABLED, { default: false });
  const config: ProxyConfig = {
    log: readLogConfig(r),
    outboundListenAddrs: r.socketAddresses(ENV_OUTBOUND_LISTEN_ADDRS, { default: [{ host: '127.0.0.1', port: 4140 }] }),
    inboundListenAddr: r.socketAddress(ENV_INBOUND_LISTEN_ADDR, { default: { host: '0.0.0.0', port: 4143 } }),
    adminListenAddr: r.socketAddress(ENV_ADMIN_LISTEN_ADDR, { default: { host: '127.0.0.1', port: 4191 } }),
    controlListenAddr: r.socketAddress(ENV_CONTROL_LISTEN_ADDR, { default: { host: '0.0.0.0', port: 4190 } }),
    tapMaxRate: r.int(ENV_TAP_MAX_RATE, { default: 1000, min: 1, max: 1_000_000 }),
    tapMaxSessions: r.int(ENV_TAP_MAX_SESSIONS, { default: 10, min: 0, max: 1000 }),
    tapAuthorizedIdentities: readTapIdentities(r, identityDisabled),
    inboundDetectTimeoutMs: r.durationMs(ENV_INBOUND_DETECT_TIMEOUT, { default: 10 * SECOND, min: 1, max: 365 * DAY }),
    http1HeaderReadTimeoutMs: r.durationMs(ENV_HTTP1_HEADER_READ_TIMEOUT, { default: 10 * SECOND, min: 100, max: DAY }),
    http1MaxHeaders: r.int(ENV_HTTP1_MAX_HEADERS, { default: 100, min: 10, max: 10_000 }),
    http1BodyIdleTimeoutMs: r.durationMs(ENV_HTTP1_BODY_IDLE_TIMEOUT, { default: 60 * SECOND, min: 100, max: DAY }),
    outboundDetectTimeoutMs: r.durationMs(ENV_OUTBOUND_DETECT_TIMEOUT, {
      default: 10 * SECOND,
      min: 1,
      max: 365 * DAY,
    }),
    inboundConnectTimeoutMs: r.durationMs(ENV_INBOUND_CONNECT_TIMEOUT, { default: 100, min: 1, max: 60 * SECOND }),
    outboundConnectTimeoutMs: r.durationMs(ENV_OUTBOUND_CONNECT_TIMEOUT, { default: 1000, min: 1, max: 60 * SECOND }),
    inboundDefaultPolicy: r.oneOf(ENV_INBOUND_DEFAULT_POLICY, INBOUND_POLICIES, { default: 'all-unauthenticated' }),
    inboundPortsRequireIdentity: r.ports(ENV_INBOUND_PORTS_REQUIRE_IDENTITY, { default: [] }),
    inboundPortsDisableProtocolDetection: r.ports(ENV_INBOUND_PORTS_DISABLE_PROTOCOL_DETECTION, { default: [] }),
    clusterNetworks: readCidrs(r, ENV_POLICY_CLUSTER_NETWORKS, DEFAULT_CLUSTER_NETWORKS),
    shutdownGracePeriodMs: r.durationMs(ENV_SHUTDOWN_GRACE_PERIOD, { default: 120 * SECOND, min: 0, max: DAY }),
    shutdownEndpointEnabled: r.bool(ENV_SHUTDOWN_ENDPOINT_ENABLED, { default: false }),
    v8MemoryMode: readV8MemoryMode(r),
    ingressMode: r.bool(ENV_INGRESS_MODE, { default: false }),
    outboundHttp1OverHttp2: r.bool(ENV_OUTBOUND_HTTP1_OVER_HTTP2, { default: true }),
    outboundFailFastTimeoutMs: r.durationMs(ENV_OUTBOUND_FAILFAST_TIMEOUT, { default: 3 * SECOND, min: 1, max: DAY }),
    outboundQueueCapacity: r.int(ENV_OUTBOUND_QUEUE_CAPACITY, { default: 100, min: 1, max: 1_000_000 }),
    outboundBalancer: r.oneOf(ENV_OUTBOUND_BALANCER, BALANCER_STRATEGIES, { default: 'p2c' }),
    outboundFailureAccrual: readFailureAccrual(r),
    identity: identityDisabled ? undefined : readIdentity(r),
    destination: {
      svcAddr: r.hostPort(ENV_DESTINATION_SVC_ADDR, { default: undefined }),
      svcName: readDestinationSvcName(r, identityDisabled),
      contextToken: r.string(ENV_DESTINATION_CONTEXT, { default: '' }),
      profileSuffixes: r
        .string(ENV_DESTINATION_PROFILE_SUFFIXES, { default: 'svc.cluster.local.' })
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== ''),
    },
  };
  const identity = config.identity;
  if (identity !== undefined && identity.minRefreshMs > identity.maxRefreshMs) {
    r.problem({
      name: ENV_IDENTITY_MIN_REFRESH,
      value: r.raw(ENV_IDENTITY_MIN_REFRESH),
      allowed: `at most ${ENV_IDENTITY_MAX_REFRESH}`,
    });
  }
  return r.finish(config);
}

/** NODEMESH_PROXY_V8_MEMORY_MODE, or the earlier NODEMESH_PROXY_OPTIMIZE_FOR_SIZE; not both. */
function readV8MemoryMode(r: SettingsReader): V8MemoryMode {
  const mode = r.oneOf(ENV_V8_MEMORY_MODE, V8_MEMORY_MODES, { default: DEFAULT_V8_MEMORY_MODE });
  if (r.raw(ENV_OPTIMIZE_FOR_SIZE) === undefined) return mode;
  if (r.raw(ENV_V8_MEMORY_MODE) !== undefined) {
    r.problem({
      name: ENV_OPTIMIZE_FOR_SIZE,
      value: r.raw(ENV_OPTIMIZE_FOR_SIZE),
      allowed: `unset when ${ENV_V8_MEMORY_MODE} is set (it replaces it)`,
    });
    return mode;
  }
  const legacy = r.raw(ENV_OPTIMIZE_FOR_SIZE)?.toLowerCase();
  if (legacy === 'true' || legacy === '1' || legacy === 'yes') return 'optimize-for-size';
  if (legacy === 'false' || legacy === '0' || legacy === 'no') return 'node-defaults';
  r.problem({
    name: ENV_OPTIMIZE_FOR_SIZE,
    value: r.raw(ENV_OPTIMIZE_FOR_SIZE),
    allowed: `true or false; better ${ENV_V8_MEMORY_MODE} (one of ${V8_MEMORY_MODES.join(', ')}), which replaces it`,
  });
  return mode;
}

function readIdentity(r: SettingsReader): ProxyIdentityConfig {
  const required = 'required unless NODEMESH_PROXY_IDENTITY_DISABLED=true';
  const trustAnchorsPem = r.requiredString(ENV_IDENTITY_TRUST_ANCHORS, `PEM certificates (${required})`);
  if (trustAnchorsPem !== '' && !trustAnchorsPem.includes('-----BEGIN CERTIFICATE-----')) {
    r.problem({
      name: ENV_IDENTITY_TRUST_ANCHORS,
      value: `${trustAnchorsPem.slice(0, 40)}…`,
      allowed: 'one or more PEM certificates (-----BEGIN CERTIFICATE-----)',
    });
  }
  return {
    dir: r.string(ENV_IDENTITY_DIR, { default: '/var/run/nodemesh/identity/end-entity' }),
    trustAnchorsPem,
    tokenFile: r.string(ENV_IDENTITY_TOKEN_FILE, { default: '/var/run/secrets/tokens/nodemesh-identity-token' }),
    svcAddr: requiredHostPort(r, ENV_IDENTITY_SVC_ADDR, required),
    svcName: r.requiredString(ENV_IDENTITY_SVC_NAME, `the identity service's identity name (${required})`),
    localName: r.requiredString(ENV_IDENTITY_LOCAL_NAME, `this proxy's identity name (${required})`),
    minRefreshMs: r.durationMs(ENV_IDENTITY_MIN_REFRESH, { default: 10 * SECOND, min: SECOND, max: DAY }),
    maxRefreshMs: r.durationMs(ENV_IDENTITY_MAX_REFRESH, { default: DAY, min: SECOND, max: 30 * DAY }),
  };
}

/**
 * The destination service's identity name (Linkerd's LINKERD2_PROXY_DESTINATION_SVC_NAME): set, the
 * proxy reaches the destination over TLS and requires its certificate to chain to the trust anchors
 * and to name exactly this identity; empty, over plaintext. TLS needs the trust anchors, so it
 * needs identity enabled.
 */
function readDestinationSvcName(r: SettingsReader, identityDisabled: boolean): string {
  const name = r.string(ENV_DESTINATION_SVC_NAME, { default: '' });
  if (name === '') return name;
  if (!isDnsName(name)) {
    r.problem({
      name: ENV_DESTINATION_SVC_NAME,
      value: name,
      allowed:
        "the destination service's identity name, a lower-case DNS name, e.g. nodemesh-destination.nodemesh.serviceaccount.identity.nodemesh.cluster.local",
    });
  } else if (identityDisabled) {
    r.problem({
      name: ENV_DESTINATION_SVC_NAME,
      value: name,
      allowed: `empty when ${ENV_IDENTITY_DISABLED}=true (TLS to the destination needs ${ENV_IDENTITY_TRUST_ANCHORS})`,
    });
  }
  return name;
}

/**
 * Who may tap from off the loopback (over mTLS): identity names separated by commas. mTLS needs
 * this proxy's certificate, so the list must stay empty with identity disabled.
 */
function readTapIdentities(r: SettingsReader, identityDisabled: boolean): readonly string[] {
  const raw = r.raw(ENV_TAP_AUTHORIZED_IDENTITIES);
  if (raw === undefined) return [];
  const names = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const bad = names.find((name) => !isDnsName(name));
  if (bad !== undefined) {
    r.problem({
      name: ENV_TAP_AUTHORIZED_IDENTITIES,
      value: raw,
      allowed:
        'identity names separated by commas, each a lower-case DNS name, e.g. ops.tools.serviceaccount.identity.nodemesh.cluster.local',
      detail: `${JSON.stringify(bad)} is not an identity name`,
    });
    return [];
  }
  if (identityDisabled && names.length > 0) {
    r.problem({
      name: ENV_TAP_AUTHORIZED_IDENTITIES,
      value: raw,
      allowed: `empty when ${ENV_IDENTITY_DISABLED}=true (tapping from off the loopback needs mTLS, so identity)`,
    });
    return [];
  }
  return names;
}

function requiredHostPort(r: SettingsReader, name: string, required: string): HostPort {
  const value = r.hostPort(name, { default: undefined });
  if (value !== undefined) return value;
  if (r.raw(name) === undefined)
    r.problem({ name, value: undefined, allowed: `a host name or IP and a port (${required})` });
  return { host: '', port: 0 };
}

/** Linkerd's default clusterNetworks. */
export const DEFAULT_CLUSTER_NETWORKS: readonly string[] = Object.freeze([
  '10.0.0.0/8',
  '100.64.0.0/10',
  '172.16.0.0/12',
  '192.168.0.0/16',
  'fd00::/8',
]);

function readCidrs(r: SettingsReader, name: string, fallback: readonly string[]): readonly string[] {
  const raw = r.raw(name);
  if (raw === undefined) return fallback;
  const out: string[] = [];
  for (const item of raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')) {
    const cidr = parseCidr(item);
    if (cidr === undefined) {
      r.problem({
        name,
        value: raw,
        allowed: 'CIDRs separated by commas, e.g. 10.0.0.0/8,fd00::/8',
        detail: `${JSON.stringify(item)} is not a CIDR`,
      });
      return fallback;
    }
    out.push(formatCidr(cidr));
  }
  return out;
}

/** Proxy-wide failure accrual (Linkerd configures it per Service with balancer.linkerd.io annotations). */
function readFailureAccrual(r: SettingsReader): ResolvedFailureAccrualOptions | undefined {
  const mode = r.oneOf(ENV_OUTBOUND_FAILURE_ACCRUAL, ['none', 'consecutive'] as const, { default: 'none' });
  const d = DEFAULT_FAILURE_ACCRUAL;
  const options = {
    maxFailures: r.int(ENV_OUTBOUND_FAILURE_ACCRUAL_MAX_FAILURES, { default: d.maxFailures, min: 1, max: 1_000_000 }),
    minPenaltyMs: r.durationMs(ENV_OUTBOUND_FAILURE_ACCRUAL_MIN_PENALTY, { default: d.minPenaltyMs, min: 1, max: DAY }),
    maxPenaltyMs: r.durationMs(ENV_OUTBOUND_FAILURE_ACCRUAL_MAX_PENALTY, { default: d.maxPenaltyMs, min: 1, max: DAY }),
    jitterRatio: r.number(ENV_OUTBOUND_FAILURE_ACCRUAL_JITTER_RATIO, { default: d.jitterRatio, min: 0, max: 100 }),
  };
  if (options.minPenaltyMs > options.maxPenaltyMs) {
    r.problem({
      name: ENV_OUTBOUND_FAILURE_ACCRUAL_MIN_PENALTY,
      value: r.raw(ENV_OUTBOUND_FAILURE_ACCRUAL_MIN_PENALTY),
      allowed: `at most ${ENV_OUTBOUND_FAILURE_ACCRUAL_MAX_PENALTY}`,
    });
  }
  return mode === 'none' ? undefined : resolveFailureAccrualOptions(options);
}
