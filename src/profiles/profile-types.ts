// The ServiceProfile resource (`nodemesh.io/v1alpha2`, kind ServiceProfile), field for field
// Linkerd's `linkerd.io/v1alpha2`, which is accepted too: moving a profile either way is a
// one-line apiVersion change.
//
// Contract: these types describe a profile as written (the CRD shape), not as sent to proxies:
// optional fields stay optional, weights stay quantities and timeouts stay Go durations. Values of
// these types come from parseServiceProfile, which validated them and froze them.

/** The apiVersions a ServiceProfile may have; the first is ours. */
export const SERVICE_PROFILE_API_VERSIONS = ['nodemesh.io/v1alpha2', 'linkerd.io/v1alpha2'] as const;
export type ServiceProfileApiVersion = (typeof SERVICE_PROFILE_API_VERSIONS)[number];
export const SERVICE_PROFILE_KIND = 'ServiceProfile';

/** The retry budget a profile without one gets (Linkerd's controller default). */
export const DEFAULT_RETRY_BUDGET = Object.freeze({ retryRatio: 0.2, minRetriesPerSecond: 10, ttlMs: 10_000 });

export interface ServiceProfile {
  readonly apiVersion: ServiceProfileApiVersion;
  readonly kind: typeof SERVICE_PROFILE_KIND;
  readonly metadata: ServiceProfileMetadata;
  readonly spec: ServiceProfileSpec;
}

/** The parts of ObjectMeta a profile keeps (other ObjectMeta fields are accepted and dropped). */
export interface ServiceProfileMetadata {
  /** `<service>.<namespace>.svc.<cluster-domain>`. */
  readonly name: string;
  readonly namespace?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly resourceVersion?: string;
  readonly uid?: string;
  readonly generation?: number;
}

export interface ServiceProfileSpec {
  /** In order; the first route whose condition matches a request wins. */
  readonly routes?: readonly RouteSpec[];
  /** Absent means the default budget (DEFAULT_RETRY_BUDGET). */
  readonly retryBudget?: RetryBudgetSpec;
  /** When non-empty, requests are split across these authorities by weight. */
  readonly dstOverrides?: readonly WeightedDstSpec[];
  /** Ports (`"3306"`) or ranges (`"4000-4100"`) to treat as opaque TCP. */
  readonly opaquePorts?: readonly string[];
}

export interface RouteSpec {
  /** Becomes the `route` metric label. */
  readonly name: string;
  readonly condition: RequestMatchSpec;
  /** In order; the first class whose condition matches a response decides; none means default. */
  readonly responseClasses?: readonly ResponseClassSpec[];
  readonly isRetryable?: boolean;
  /** Go duration for the whole request including retries, e.g. `250ms`; absent means none. */
  readonly timeout?: string;
}

/** Fields set together are ANDed; at least one is set. */
export interface RequestMatchSpec {
  readonly all?: readonly RequestMatchSpec[];
  readonly any?: readonly RequestMatchSpec[];
  readonly not?: RequestMatchSpec;
  /** Matched against the whole path (implicitly anchored), without the query string. */
  readonly pathRegex?: string;
  /** An HTTP method token, case-sensitive (`GET`, `POST`, `PROPFIND`). */
  readonly method?: string;
}

export interface ResponseClassSpec {
  readonly condition: ResponseMatchSpec;
  readonly isFailure?: boolean;
}

/** Fields set together are ANDed; at least one is set. */
export interface ResponseMatchSpec {
  readonly all?: readonly ResponseMatchSpec[];
  readonly any?: readonly ResponseMatchSpec[];
  readonly not?: ResponseMatchSpec;
  readonly status?: StatusRangeSpec;
}

/** Inclusive; a single bound matches exactly that status code. */
export interface StatusRangeSpec {
  readonly min?: number;
  readonly max?: number;
}

export interface RetryBudgetSpec {
  /** Retries allowed per original request, in [0, 1000]. */
  readonly retryRatio: number;
  /** Retries always allowed per second. */
  readonly minRetriesPerSecond: number;
  /** Go duration in [1s, 60s]: the window the ratio is computed over. */
  readonly ttl: string;
}

export interface WeightedDstSpec {
  /** `<service>.<namespace>.svc.<cluster-domain>[:port]`. */
  readonly authority: string;
  /** A Kubernetes quantity (`1`, `500m`, `0.5`); relative; 0 sends no traffic. */
  readonly weight: number | string;
}
