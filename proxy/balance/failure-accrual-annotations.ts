// Reads failure-accrual settings from a Service's annotations, as Linkerd's policy controller does
// (linkerd.md §4.9; linkerd2 `policy-controller` `parse_accrual_config`).
//
// Contract:
// - No `balancer.linkerd.io/failure-accrual` annotation: accrual is off ('none'), whatever the
//   `-consecutive-*` annotations say. This is Linkerd's default (it ignores them too).
// - `consecutive`: the four `-consecutive-*` annotations tune it; each one left out takes its
//   default (7 failures, 1s, 60s, 0.5). Other modes (Linkerd's newer `unified`) are refused.
// - Every bad annotation is reported at once ('invalid'), each problem naming the annotation, its
//   value and what is allowed, so the caller can log them and fall back (Linkerd logs and ignores
//   the Service's accrual config). Never throws.
// Allowed values follow Linkerd: max-failures a whole number (we also refuse 0, which would never
// trip), penalties durations with units (`250ms`, `1s`, `1m30s`; `0` allowed for the minimum),
// max-penalty > 0 and >= min-penalty, jitter-ratio a number from 0 to 100.

import { formatDurationMs, parseDurationMs } from '../../src/config/index.ts';
import type { ConfigProblem } from '../../src/errors/index.ts';
import { DEFAULT_FAILURE_ACCRUAL, type ResolvedFailureAccrualOptions } from './failure-accrual.ts';

export const FAILURE_ACCRUAL_ANNOTATION = 'balancer.linkerd.io/failure-accrual';
export const FAILURE_ACCRUAL_MAX_FAILURES_ANNOTATION = 'balancer.linkerd.io/failure-accrual-consecutive-max-failures';
export const FAILURE_ACCRUAL_MIN_PENALTY_ANNOTATION = 'balancer.linkerd.io/failure-accrual-consecutive-min-penalty';
export const FAILURE_ACCRUAL_MAX_PENALTY_ANNOTATION = 'balancer.linkerd.io/failure-accrual-consecutive-max-penalty';
export const FAILURE_ACCRUAL_JITTER_RATIO_ANNOTATION = 'balancer.linkerd.io/failure-accrual-consecutive-jitter-ratio';

export type FailureAccrualConfig =
  | { readonly kind: 'none' }
  | { readonly kind: 'consecutive'; readonly options: ResolvedFailureAccrualOptions }
  | { readonly kind: 'invalid'; readonly problems: readonly ConfigProblem[] };

const MAX_U32 = 2 ** 32 - 1;

export function parseFailureAccrualAnnotations(
  annotations: Readonly<Record<string, string | undefined>> | undefined,
): FailureAccrualConfig {
  const mode = annotations?.[FAILURE_ACCRUAL_ANNOTATION];
  if (annotations === undefined || mode === undefined) return NONE;
  const problems: ConfigProblem[] = [];
  if (mode.trim() !== 'consecutive') {
    problems.push({
      name: FAILURE_ACCRUAL_ANNOTATION,
      value: mode,
      allowed: '`consecutive` (or leave the annotation out to turn failure accrual off)',
      ...(mode.trim() === 'unified' ? { detail: 'the unified mode is not supported' } : {}),
    });
  }

  const d = DEFAULT_FAILURE_ACCRUAL;
  const get = (name: string): string | undefined => annotations[name];

  let maxFailures = d.maxFailures;
  const failuresText = get(FAILURE_ACCRUAL_MAX_FAILURES_ANNOTATION);
  if (failuresText !== undefined) {
    const n = /^\s*\d+\s*$/.test(failuresText) ? Number(failuresText) : Number.NaN;
    if (n >= 1 && n <= MAX_U32) maxFailures = n;
    else {
      problems.push({
        name: FAILURE_ACCRUAL_MAX_FAILURES_ANNOTATION,
        value: failuresText,
        allowed: `a whole number from 1 to ${MAX_U32}`,
      });
    }
  }

  const minPenaltyMs = duration(get, FAILURE_ACCRUAL_MIN_PENALTY_ANNOTATION, d.minPenaltyMs, 'min', problems);
  const maxPenaltyMs = duration(get, FAILURE_ACCRUAL_MAX_PENALTY_ANNOTATION, d.maxPenaltyMs, 'max', problems);
  if (minPenaltyMs !== undefined && maxPenaltyMs !== undefined && minPenaltyMs > maxPenaltyMs) {
    // Blame the max penalty when it was given, else the min penalty that exceeds the default max.
    const maxText = get(FAILURE_ACCRUAL_MAX_PENALTY_ANNOTATION);
    const minText = get(FAILURE_ACCRUAL_MIN_PENALTY_ANNOTATION);
    problems.push(
      maxText !== undefined
        ? {
            name: FAILURE_ACCRUAL_MAX_PENALTY_ANNOTATION,
            value: maxText,
            allowed: `a duration no less than the min penalty (${minText ?? formatDurationMs(d.minPenaltyMs)})`,
          }
        : {
            name: FAILURE_ACCRUAL_MIN_PENALTY_ANNOTATION,
            value: minText,
            allowed: `a duration no more than the max penalty (${formatDurationMs(d.maxPenaltyMs)}, the default)`,
          },
    );
  }

  let jitterRatio = d.jitterRatio;
  const jitterText = get(FAILURE_ACCRUAL_JITTER_RATIO_ANNOTATION);
  if (jitterText !== undefined) {
    const n = jitterText.trim() === '' ? Number.NaN : Number(jitterText);
    if (n >= 0 && n <= 100) jitterRatio = n;
    else {
      problems.push({
        name: FAILURE_ACCRUAL_JITTER_RATIO_ANNOTATION,
        value: jitterText,
        allowed: 'a number from 0 to 100 (the fraction of the penalty that may be added at random, e.g. 0.5)',
      });
    }
  }

  if (problems.length > 0 || minPenaltyMs === undefined || maxPenaltyMs === undefined) {
    return { kind: 'invalid', problems: Object.freeze(problems) };
  }
  return {
    kind: 'consecutive',
    options: Object.freeze({ maxFailures, minPenaltyMs, maxPenaltyMs, jitterRatio }),
  };
}

const NONE: FailureAccrualConfig = Object.freeze({ kind: 'none' });

/** The annotation's duration in ms, its default when absent, or undefined (problem recorded). */
function duration(
  get: (name: string) => string | undefined,
  name: string,
  fallback: number,
  which: 'min' | 'max',
  problems: ConfigProblem[],
): number | undefined {
  const text = get(name);
  if (text === undefined) return fallback;
  const ms = parseDurationMs(text);
  if (ms !== undefined && (which === 'min' ? ms >= 0 : ms > 0)) return ms;
  problems.push({
    name,
    value: text,
    allowed:
      which === 'min'
        ? 'a duration with units, e.g. 1s, 250ms or 1m30s (0 allowed)'
        : 'a duration with units greater than zero, e.g. 60s, 500ms or 10m',
  });
  return undefined;
}
