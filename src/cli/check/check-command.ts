// `nodemesh check`: is every component of the local mesh ready, and does every proxy hold an mTLS
// certificate that is still valid? One line per check, exit 1 if any fails.

import { formatDurationMs } from '../../config/index.ts';
import { parsePrometheusText, sumSamples } from '../../metrics/index.ts';
import { parseFlags } from '../args.ts';
import { EXIT_FAILURE, EXIT_OK, type CommandContext } from '../command.ts';
import { writeLine } from '../output.ts';
import { MeshStateError, adminGet, isProxy, readMeshState, reasonOf, type MeshComponent } from '../stat/mesh-state.ts';

const TIMEOUT_MS = 2000;

export interface CheckResult {
  readonly ok: boolean;
  readonly message: string;
  readonly hint?: string;
}

export async function runCheck(ctx: CommandContext): Promise<number> {
  const { values } = parseFlags('check', ctx.argv, { 'state-dir': { type: 'string' } });
  let components: readonly MeshComponent[];
  try {
    components = (await readMeshState(ctx.cwd, values['state-dir'])).components;
  } catch (err) {
    if (!(err instanceof MeshStateError)) throw err;
    writeLine(ctx.stderr, `✖ ${err.message}`);
    return EXIT_FAILURE;
  }
  const withAdmin = components.filter((c) => c.addresses.admin !== undefined);
  const results = await Promise.all(
    withAdmin.map(async (c) => {
      const checks = [await checkReady(c, ctx.signal)];
      if (isProxy(c)) checks.push(await checkCertificate(c, ctx.signal, Date.now()));
      return checks;
    }),
  );
  const flat = results.flat();
  for (const r of flat) {
    writeLine(ctx.stdout, `${r.ok ? '✔' : '✖'} ${r.message}`);
    if (!r.ok && r.hint !== undefined) writeLine(ctx.stdout, `    hint: ${r.hint}`);
  }
  const failed = flat.filter((r) => !r.ok).length;
  writeLine(
    ctx.stdout,
    failed === 0 ? `all ${flat.length} checks passed` : `${failed} of ${flat.length} checks failed`,
  );
  return failed === 0 ? EXIT_OK : EXIT_FAILURE;
}

async function checkReady(c: MeshComponent, signal: AbortSignal): Promise<CheckResult> {
  const admin = c.addresses.admin ?? '';
  try {
    const res = await adminGet(admin, '/ready', TIMEOUT_MS, signal);
    if (res.status === 200) return { ok: true, message: `${c.name} is ready` };
    const reason = res.body.trim().replace(/^not ready:\s*/, '') || `status ${res.status}`;
    return { ok: false, message: `${c.name} is not ready: ${reason}`, hint: logHint(c) };
  } catch (err) {
    return {
      ok: false,
      message: `${c.name} is unreachable at ${admin} (${reasonOf(err)})`,
      hint: `is the mesh still running (npm start)? ${logHint(c)}`,
    };
  }
}

async function checkCertificate(c: MeshComponent, signal: AbortSignal, nowMs: number): Promise<CheckResult> {
  const admin = c.addresses.admin ?? '';
  let text: string;
  try {
    const res = await adminGet(admin, '/metrics', TIMEOUT_MS, signal);
    if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}`);
    text = res.body;
  } catch (err) {
    return {
      ok: false,
      message: `${c.name} certificate: metrics unreachable (${reasonOf(err)})`,
      hint: logHint(c),
    };
  }
  const metrics = parsePrometheusText(text);
  const expires = sumSamples(metrics, 'identity_cert_expiration_timestamp_seconds');
  return certificateResult(c, expires, nowMs);
}

/** The certificate check from the expiry gauge (seconds since the epoch; 0 when there is none). */
export function certificateResult(c: MeshComponent, expiresAtSeconds: number, nowMs: number): CheckResult {
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

function logHint(c: MeshComponent): string {
  return c.log === '' ? 'see its log' : `see its log: ${c.log}`;
}
