// Weighted backend choice: pick one backendRef of a rule in proportion to its weight.
//
// Contract: pure; the caller passes the random number (Math.random() in the proxy, fixed values in
// tests). Weights are integers from 0 to 1,000,000 (BackendRef.Weight); a backend of weight 0
// never gets a request. When every weight is 0 (or there is no backend) the answer is undefined
// and the request fails: the spec's 500 for HTTP, UNAVAILABLE for gRPC.

/**
 * The backend that `random` (in [0, 1)) falls on when the range is cut in slices as wide as the
 * weights, in list order. Values outside [0, 1) are clamped, so 1 picks the last backend.
 */
export function pickWeighted<B extends { readonly weight: number }>(
  backends: readonly B[],
  random: number,
): B | undefined {
  let total = 0;
  for (const b of backends) total += Math.max(0, b.weight);
  if (total === 0) return undefined;
  const r = Number.isNaN(random) ? 0 : Math.min(Math.max(random, 0), 1);
  // An integer point in [0, total - 1]: exact at the slice edges whatever the floating point does.
  const point = Math.min(Math.floor(r * total), total - 1);
  let end = 0;
  for (const b of backends) {
    end += Math.max(0, b.weight);
    if (point < end) return b;
  }
  return undefined; // unreachable: point < total
}
