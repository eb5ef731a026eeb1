// Putting proxy-init's rules into a network namespace, taking them out, and checking they are
// there: the steps `nodemesh proxy-init` and the CNI plugin share. Each picks the iptables backend
// once (ADR 0006), then works family by family through the FirewallRunner (nsenter when the
// config names a network namespace).
//
// Contract: the functions throw the runner's typed errors (FirewallBinaryMissingError,
// FirewallPermissionError, FirewallCommandError); `checkInterception` never throws for rules
// that differ, it returns what differs.

import { applyFirewallPlan, type ApplyReport } from './firewall-apply.ts';
import { resolveBackend, type FirewallBackend, type FirewallBinaries } from './firewall-backend.ts';
import {
  createFirewallRunner,
  formatCommandLine,
  type Exec,
  type FirewallRunner,
  type Which,
} from './firewall-exec.ts';
import { removeFirewallPlan, type RemoveReport } from './firewall-remove.ts';
import type { FirewallPlan } from './firewall-rules.ts';
import { declaredChains, hasJump, parseSavedRules, renderRuleLine, splitSaveLine } from './firewall-text.ts';
import type { ProxyInitConfig } from './proxy-init-config.ts';

export interface InterceptionDeps {
  readonly exec: Exec;
  /** Finds binaries (iptables-*, nsenter). */
  readonly which: Which;
  readonly signal?: AbortSignal;
  /** Told what happens, one line at a time (command lines, the backend chosen). */
  readonly say?: (line: string) => void;
}

interface Firewall {
  readonly run: FirewallRunner;
  readonly backend: FirewallBackend;
}

async function firewall(
  config: ProxyInitConfig,
  plans: readonly FirewallPlan[],
  deps: InterceptionDeps,
): Promise<Firewall> {
  const nsenter = config.netns === undefined ? undefined : await deps.which('nsenter');
  const run = createFirewallRunner({
    exec: deps.exec,
    ...(nsenter === undefined ? {} : { nsenter }),
    ...(config.netns === undefined ? {} : { netns: config.netns }),
    ...(deps.signal === undefined ? {} : { signal: deps.signal }),
    onCommand: (argv) => deps.say?.(`running ${formatCommandLine(argv)}`),
  });
  const backend = await resolveBackend(
    config.iptablesMode,
    plans.map((p) => p.family),
    { which: deps.which, run },
  );
  deps.say?.(`iptables backend ${backend.name} (mode ${config.iptablesMode})`);
  return { run, backend };
}

function binariesOf(backend: FirewallBackend, plan: FirewallPlan): FirewallBinaries | undefined {
  // resolveBackend threw if any family lacked binaries.
  return backend.binaries[plan.family];
}

/** Writes the plans (idempotently, ADR 0006); one report per family. */
export async function applyInterception(
  config: ProxyInitConfig,
  plans: readonly FirewallPlan[],
  deps: InterceptionDeps,
): Promise<ApplyReport[]> {
  const { run, backend } = await firewall(config, plans, deps);
  const reports: ApplyReport[] = [];
  for (const plan of plans) {
    const binaries = binariesOf(backend, plan);
    if (binaries !== undefined) reports.push(await applyFirewallPlan(plan, binaries, run));
  }
  return reports;
}

/** Deletes the plans' jumps and chains; one report per family. */
export async function removeInterception(
  config: ProxyInitConfig,
  plans: readonly FirewallPlan[],
  deps: InterceptionDeps,
): Promise<RemoveReport[]> {
  const { run, backend } = await firewall(config, plans, deps);
  const reports: RemoveReport[] = [];
  for (const plan of plans) {
    const binaries = binariesOf(backend, plan);
    if (binaries !== undefined) reports.push(await removeFirewallPlan(plan, binaries, run));
  }
  return reports;
}

/** What differs between the plans and the namespace's nat table; empty when all is in place. */
export async function checkInterception(
  config: ProxyInitConfig,
  plans: readonly FirewallPlan[],
  deps: InterceptionDeps,
): Promise<string[]> {
  const { run, backend } = await firewall(config, plans, deps);
  const problems: string[] = [];
  for (const plan of plans) {
    const binaries = binariesOf(backend, plan);
    if (binaries === undefined) continue;
    const saved = await run(binaries.save, ['-t', plan.table]);
    const chains = declaredChains(saved, plan.table);
    for (const chain of plan.chains) {
      if (!chains.has(chain)) problems.push(`${plan.family}: chain ${chain} is missing`);
    }
    const rules = parseSavedRules(saved);
    for (const jump of plan.jumps) {
      if (!hasJump(rules, jump)) problems.push(`${plan.family}: the jump ${renderRuleLine(jump)} is missing`);
    }
    for (const chain of plan.chains.filter((c) => chains.has(c))) {
      const want = plan.rules.filter((r) => r.chain === chain).map((r) => splitSaveLine(renderRuleLine(r)).join(' '));
      const have = rules
        .filter((r) => r.table === plan.table && r.chain === chain)
        .map((r) => ['-A', chain, ...r.args].join(' '));
      if (want.join('\n') !== have.join('\n')) {
        problems.push(
          `${plan.family}: chain ${chain} has ${have.length} rules that differ from the ${want.length} expected`,
        );
      }
    }
  }
  return problems;
}
