// Applying a FirewallPlan idempotently: read the nat table, write our chains and their rules in one
// `iptables-restore --noflush` transaction (each chain created when absent, flushed when present),
// add a jump from PREROUTING / OUTPUT only when iptables-save shows it missing, then read the
// table again and check every jump is there.
//
// Contract: applying the same plan twice leaves identical `iptables-save -t nat` output (apart
// from its timestamp comments); chains and rules that are not ours are never touched. Failures are
// the FirewallRunner's typed errors, or a FirewallCommandError when a jump is still missing.

import type { FirewallBinaries } from './firewall-backend.ts';
import { FirewallCommandError } from './firewall-errors.ts';
import type { FirewallRunner } from './firewall-exec.ts';
import type { FirewallPlan, FirewallRule } from './firewall-rules.ts';
import { declaredChains, hasJump, parseSavedRules, renderRestore, renderRuleLine } from './firewall-text.ts';

/** How long iptables-restore waits for the xtables lock (legacy backend; nft ignores it). */
export const XTABLES_WAIT_SECONDS = 10;

export interface ApplyReport {
  readonly family: FirewallPlan['family'];
  /** Our chains that did not exist before. */
  readonly created: readonly string[];
  /** Our chains that existed and were flushed and rewritten. */
  readonly flushed: readonly string[];
  readonly rules: number;
  readonly addedJumps: readonly FirewallRule[];
  readonly keptJumps: readonly FirewallRule[];
  /** `iptables-save -t <table>` after applying. */
  readonly saved: string;
}

export async function applyFirewallPlan(
  plan: FirewallPlan,
  binaries: FirewallBinaries,
  run: FirewallRunner,
): Promise<ApplyReport> {
  const before = await run(binaries.save, ['-t', plan.table]);
  const existing = declaredChains(before, plan.table);
  const beforeRules = parseSavedRules(before);
  const missing = plan.jumps.filter((jump) => !hasJump(beforeRules, jump));

  await run(binaries.restore, ['--noflush', `--wait=${XTABLES_WAIT_SECONDS}`], renderRestore(plan, missing));

  const after = await run(binaries.save, ['-t', plan.table]);
  const afterRules = parseSavedRules(after);
  const absent = plan.jumps.filter((jump) => !hasJump(afterRules, jump));
  if (absent.length > 0) {
    throw new FirewallCommandError(
      `${binaries.restore} succeeded but ${binaries.save} -t ${plan.table} does not show ` +
        `${absent.map(renderRuleLine).join(' and ')}`,
      { fields: { saved: after } },
    );
  }
  return {
    family: plan.family,
    created: plan.chains.filter((chain) => !existing.has(chain)),
    flushed: plan.chains.filter((chain) => existing.has(chain)),
    rules: plan.rules.length,
    addedJumps: missing,
    keptJumps: plan.jumps.filter((jump) => !missing.includes(jump)),
    saved: after,
  };
}
