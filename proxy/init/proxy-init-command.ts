// `nodemesh proxy-init`: parse the settings, build the rules, and either print them (--dry-run) or
// apply them for each IP family.
//
// Contract: never reads process.env (the context's `env` is used, PATH included); bad flags throw
// UsageError (exit 2); any other nodemesh error is printed as `error [CODE]: …` on stderr and the
// command returns 1. Dependencies (process runner, PATH lookup) can be replaced for tests.

import { parseFlags } from '../../src/cli/args.ts';
import { EXIT_FAILURE, EXIT_OK, type CommandContext } from '../../src/cli/command.ts';
import { MeshError, UsageError } from '../../src/errors/index.ts';
import type { ApplyReport } from './firewall-apply.ts';
import { binaryNames } from './firewall-backend.ts';
import { spawnExec, whichInPath, type Exec, type Which } from './firewall-exec.ts';
import { buildFirewallPlans, type FirewallPlan, type FirewallRule } from './firewall-rules.ts';
import { renderRestore } from './firewall-text.ts';
import { applyInterception } from './interception.ts';
import { PROXY_INIT_FLAGS, parseProxyInitConfig, type ProxyInitConfig } from './proxy-init-config.ts';

export interface ProxyInitDeps {
  readonly exec: Exec;
  /** Finds binaries; by default on the context's PATH. */
  readonly which: Which;
}

export async function runProxyInit(ctx: CommandContext, deps: Partial<ProxyInitDeps> = {}): Promise<number> {
  const { values } = parseFlags('proxy-init', ctx.argv, PROXY_INIT_FLAGS);
  try {
    const config = parseProxyInitConfig(ctx.env, values);
    const plans = buildFirewallPlans(config);
    if (config.dryRun) {
      ctx.stdout.write(renderDryRun(plans));
      return EXIT_OK;
    }
    await apply(ctx, config, plans, {
      exec: deps.exec ?? spawnExec,
      which: deps.which ?? whichInPath(ctx.env.PATH),
    });
    return EXIT_OK;
  } catch (err) {
    if (err instanceof UsageError || !(err instanceof MeshError)) throw err;
    ctx.stderr.write(`error [${err.code}]: ${err.message}\n`);
    return EXIT_FAILURE;
  }
}

/** The --dry-run output: valid `iptables-restore --noflush` input per family, with comments. */
export function renderDryRun(plans: readonly FirewallPlan[]): string {
  const parts = [
    '# nodemesh proxy-init --dry-run: nothing was changed.\n' +
      '# Applying runs the text for each family through iptables-restore --noflush: each chain is\n' +
      '# created, or flushed when it exists; a jump is added only when iptables-save lacks it.\n',
  ];
  for (const plan of plans) {
    parts.push(`# ${plan.family} (${binaryNames('default', plan.family).restore})\n${renderRestore(plan)}`);
  }
  return parts.join('');
}

async function apply(
  ctx: CommandContext,
  config: ProxyInitConfig,
  plans: readonly FirewallPlan[],
  deps: ProxyInitDeps,
): Promise<void> {
  const say = (line: string): boolean => ctx.stdout.write(`proxy-init: ${line}\n`);
  const reports = await applyInterception(config, plans, { ...deps, signal: ctx.signal, say });
  for (const report of reports) {
    say(describe(report));
    ctx.stdout.write(report.saved.endsWith('\n') ? report.saved : `${report.saved}\n`);
  }
}

function describe(report: ApplyReport): string {
  const jump = (j: FirewallRule): string => `${j.chain} -> ${j.jump.join(' ')}`;
  const parts = [
    ...(report.created.length > 0 ? [`created ${report.created.join(', ')}`] : []),
    ...(report.flushed.length > 0 ? [`flushed and rewrote ${report.flushed.join(', ')}`] : []),
    `${report.rules} rules`,
    ...(report.addedJumps.length > 0 ? [`added jumps ${report.addedJumps.map(jump).join(', ')}`] : []),
    ...(report.keptJumps.length > 0 ? [`jumps already present ${report.keptJumps.map(jump).join(', ')}`] : []),
  ];
  return `${report.family}: ${parts.join('; ')}`;
}
