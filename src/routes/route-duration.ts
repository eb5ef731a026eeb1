// Gateway API Duration strings (GEP-2257): one to four `<1-5 digits><h|m|s|ms>` parts, e.g. `10s`,
// `1m30s`, `500ms`, `0s`. This is the CRD's pattern (apis/v1/shared_types.go, type Duration):
// `^([0-9]{1,5}(h|m|s|ms)){1,4}$` — a strict subset of Go's time.ParseDuration (no fractions, no
// signs, no µs or ns).
//
// Contract: pure; `parseGatewayDurationMs` returns milliseconds or undefined for a string the CRD
// would refuse.

export const GATEWAY_DURATION_PATTERN = /^([0-9]{1,5}(h|m|s|ms)){1,4}$/;
export const GATEWAY_DURATION_ALLOWED =
  'a Gateway API duration: 1 to 4 parts of up to 5 digits and a unit h, m, s or ms, e.g. 10s, 1m30s, 500ms; 0s disables the timeout';

const UNIT_MS: Readonly<Record<string, number>> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };

/** Milliseconds, or undefined when `text` is not a Gateway API duration. */
export function parseGatewayDurationMs(text: string): number | undefined {
  if (!GATEWAY_DURATION_PATTERN.test(text)) return undefined;
  let total = 0;
  for (const part of text.matchAll(/([0-9]+)(ms|h|m|s)/g)) {
    total += Number(part[1]) * (UNIT_MS[part[2] ?? ''] ?? 0);
  }
  return total;
}
