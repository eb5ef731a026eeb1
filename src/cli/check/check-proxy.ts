// The checks `nodemesh check` runs on one admin server, local or through the API server: is it
// ready (`/ready`), and does a proxy hold an mTLS certificate that is still valid (the
// identity_cert_expiration_timestamp_seconds gauge of its `/metrics`)?
//
// Contract: never throws; a component that does not answer is a failed check with a hint.

import { formatDurationMs } from '../../config/index.ts';
import { parsePrometheusText, sumSamples } from '../../metrics/index.ts';
import { reasonOf } from '../stat/mesh-state.ts';
import type { ProxyTarget } from '../stat/proxy-target.ts';
import { KubeAccessError } from '../kube/kube-errors.ts';

export const CHECK_TIMEOUT_MS = 2000;
const RBAC_HINT = 'grant your user the missing RBAC rule (the table in docs/security.md lists what the CLI needs)';

export interface CheckResult {
  readonly ok: boolean;
  readonly message: string;
  readonly hint?: string;
}

/** What a check names and where its log is. */
export interface Checked {
  /** The name in messages (`web-proxy`, `shop/web-5d9c-abcde`). */
  readonly name: string;
  /** A log file or a command that shows the log; '' when unknown. */
  readonly log: string;
}

/** `/ready` of `target`; `unreachableHint` says what to do when nothing answers. */
export async function checkReady(
  checked: Checked,
  target: ProxyTarget,
  signal: AbortSignal,
  unreachableHint: string,
): Promise<CheckResult> {
  try {
    const res = await target.get('/ready', CHECK_TIMEOUT_MS, signal);
    if (res.status === 200) return { ok: true, message: `${checked.name} is ready` };
    const reason = res.body.trim().replace(/^not ready:\s*/, '') || `status ${res.status}`;
    return { ok: false, message: `${checked.name} is not ready: ${reason}`, hint: logHint(checked) };
  } catch (err) {
    if (err instanceof KubeAccessError && err.status !== undefined) {
      return { ok: false, message: `${checked.name} could not be asked: ${err.message}`, hint: RBAC_HINT };
    }
    return {
      ok: false,
      message: `${checked.name} is unreachable at ${target.address} (${reasonOf(err)})`,
      hint: `${unreachableHint} ${logHint(checked)}`,
    };
  }
}

/** The proxy's certificate, from the expiry gauge on its `/metrics`. */
export async function checkCertificate(
  checked: Checked,
  target: ProxyTarget,
  signal: AbortSignal,
  nowMs: number,
): Promise<CheckResult> {
  let text: string;
  try {
    const res = await target.get('/metrics', CHECK_TIMEOUT_MS, signal);
    if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}`);
    text = res.body;
  } catch (err) {
    return {
      ok: false,
      message: `${checked.name} certificate: metrics unreachable (${reasonOf(err)})`,
      hint: logHint(checked),
    };
  }
  const metrics = parsePrometheusText(text);
  const expires = sumSamples(metrics, 'identity_cert_expiration_timestamp_seconds');
  return certificateResult(checked, expires, nowMs);
}

/** The certificate check from the expiry gauge (seconds since the epoch; 0 when there is none). */
export function certificateResult(c: Checked, expiresAtSeconds: number, nowMs: number): CheckResult {
  if (!(expiresAtSeconds > 0)) {
    return {
      ok: false,
      message: `${c.name} has no mTLS certificate yet`,
      hint: `the identity service may not have issued one; ${logHint(c)}`,
    };
  }
  const leftMs = expiresAtSeconds * 1000 - nowMs;
  if (leftMs <= 0) {
    return {
      ok: false,
      message: `${c.name} mTLS certificate expired ${formatDurationMs(Math.round(-leftMs / 1000) * 1000)} ago`,
      hint: `renewal is failing; ${logHint(c)}`,
    };
  }
  return {
    ok: true,
    message: `${c.name} mTLS certificate valid for ${formatDurationMs(Math.round(leftMs / 1000) * 1000)}`,
  };
}

export function logHint(c: Checked): string {
  return c.log === '' ? 'see its log' : `see its log: ${c.log}`;
}
