// Public surface of proxy/balance: per-request load balancing (linkerd.md §4.6) with peak-EWMA
// load, power-of-two-choices (or round robin), a bounded wait queue with fail-fast, and
// consecutive-failures accrual per endpoint (§4.9) configured from Service annotations.
export {
  CLOSED,
  FAIL_FAST,
  PICK_CANCELLED,
  PICK_FAILURE,
  PICK_SUCCESS,
  QUEUE,
  SHED,
  type AcquireResult,
  type Balancer,
  type BalancerDependencies,
  type BalancerEvent,
  type BalancerOptions,
  type BalancerState,
  type BalancerStats,
  type ClosedResult,
  type FailFastResult,
  type PickOutcome,
  type PickResult,
  type QueuePick,
  type ReadyPick,
  type ShedResult,
} from './balancer.ts';
export { DEFAULT_FAIL_FAST_TIMEOUT_MS, DEFAULT_QUEUE_CAPACITY } from './balancer-pool.ts';
export { P2cBalancer } from './balancer-p2c.ts';
export { RoundRobinBalancer } from './balancer-round-robin.ts';
export { BALANCER_STRATEGIES, createBalancer, type BalancerStrategy } from './balancer-factory.ts';
export { DEFAULT_PEAK_EWMA, PeakEwma, resolvePeakEwmaOptions, type PeakEwmaOptions } from './peak-ewma.ts';
export {
  ConsecutiveFailures,
  DEFAULT_FAILURE_ACCRUAL,
  penaltyMs,
  resolveFailureAccrualOptions,
  type FailureAccrualDependencies,
  type FailureAccrualOptions,
  type FailureAccrualState,
  type ResolvedFailureAccrualOptions,
} from './failure-accrual.ts';
export {
  FAILURE_ACCRUAL_ANNOTATION,
  FAILURE_ACCRUAL_JITTER_RATIO_ANNOTATION,
  FAILURE_ACCRUAL_MAX_FAILURES_ANNOTATION,
  FAILURE_ACCRUAL_MAX_PENALTY_ANNOTATION,
  FAILURE_ACCRUAL_MIN_PENALTY_ANNOTATION,
  parseFailureAccrualAnnotations,
  type FailureAccrualConfig,
} from './failure-accrual-annotations.ts';
