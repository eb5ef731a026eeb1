// Removing a FirewallPlan: the jumps into our chains and the chains themselves, in one
// `iptables-restore --noflush` transaction per family, and nothing else. The CNI plugin's DEL uses
// it for the rules its ADD wrote.
//
// Contract: idempotent (a plan that is not there is a no-op, and says so); chains and rules that
// are not ours are never touched: a jump is deleted by repeating the exact line iptables-save shows
// for it, and only chains the plan names are flushed and deleted. Failures are the
// FirewallRunner's typed errors, or a FirewallCommandError when something of ours is left.

import { XTABLES_WAIT_SECONDS } from './firewall-apply.ts';
import type { FirewallBinaries } from './firewall-backend.ts';
import { FirewallCommandError } from './firewall-errors.ts';
import type { FirewallRunner } from './firewall-exec.ts';
import type { FirewallPlan } from './firewall-rules.ts';
import { declaredChains, hasJump, parseSavedRules, type SavedRule } from './firewall-text.ts';

export interface RemoveReport {
  readonly family: FirewallPlan['family'];
  /** Our chains that existed and were deleted. */
  readonly deletedChains: readonly string[];
  /** How many jumps into them were deleted. */
  readonly deletedJumps: number;
  /** `iptables-save -t <table>` after removing. */
  readonly saved: string;
}

export async function removeFirewallPlan(
  plan: FirewallPlan,
  binaries: FirewallBinaries,
  run: FirewallRunner,
): Promise<RemoveReport> {
  const before = await run(binaries.save, ['-t', plan.table]);
  const rules = parseSavedRules(before);
  const chains = declaredChains(before, plan.table);
  const ours = plan.chains.filter((chain) => chains.has(chain));
  const jumps = rules.filter((rule) => plan.jumps.some((jump) => hasJump([rule], jump)));
  if (ours.length > 0 || jumps.length > 0) {
    const lines = [
      `*${plan.table}`,
      ...jumps.map((rule) => ['-D', rule.chain, ...rule.args.map(quoteWord)].join(' ')),
      ...ours.map((chain) => `-F ${chain}`),
      ...ours.map((chain) => `-X ${chain}`),
      'COMMIT',
    ];
    await run(binaries.restore, ['--noflush', `--wait=${XTABLES_WAIT_SECONDS}`], `${lines.join('\n')}\n`);
  }
  const after = await run(binaries.save, ['-t', plan.table]);
  const left = declaredChains(after, plan.table);
  const stillThere = plan.chains.filter((chain) => left.has(chain));
  const jumpsLeft = parseSavedRules(after).filter((rule: SavedRule) =>
    plan.jumps.some((jump) => hasJump([rule], jump)),
  );
  if (stillThere.length > 0 || jumpsLeft.length > 0) {
    throw new FirewallCommandError(
      `${binaries.restore} succeeded but ${binaries.save} -t ${plan.table} still shows ` +
        [...stillThere.map((c) => `chain ${c}`), ...jumpsLeft.map((r) => `-A ${r.chain} ${r.args.join(' ')}`)].join(
          ' and ',
        ),
      { fields: { saved: after } },
    );
  }
  return { family: plan.family, deletedChains: ours, deletedJumps: jumps.length, saved: after };
}

/** A word as iptables-restore reads it back: quoted when it holds spaces, quotes or backslashes. */
function quoteWord(word: string): string {
  return /^[^\s"\\]+$/.test(word) ? word : `"${word.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}
