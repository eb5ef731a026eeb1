// The iptables-save / iptables-restore text format: render a plan as `iptables-restore --noflush`
// input, render a rule as the line iptables-save prints for it, and read rules back from
// iptables-save output.
//
// Contract: pure functions. With `--noflush`, a `:CHAIN - [0:0]` line creates a user chain or
// flushes it when it exists (both backends, verified with iptables 1.8.9), and other chains are
// left alone; so the restore text below recreates our chains atomically and touches nothing else.

import type { FirewallPlan, FirewallRule } from './firewall-rules.ts';

/** One `-A` line of a table, as read from iptables-save. */
export interface SavedRule {
  readonly table: string;
  readonly chain: string;
  /** The arguments after `-A <chain>`, unquoted. */
  readonly args: readonly string[];
}

/** The line iptables-save prints for `rule`: `-A CHAIN … -m comment --comment "…" -j TARGET …`. */
export function renderRuleLine(rule: FirewallRule): string {
  const parts = [
    '-A',
    rule.chain,
    ...rule.match,
    '-m',
    'comment',
    '--comment',
    quote(rule.comment),
    '-j',
    ...rule.jump,
  ];
  return parts.join(' ');
}

/**
 * `iptables-restore --noflush` input for `plan`: its chains (created or flushed), their rules, and
 * the given `jumps` (by default all of the plan's; the applier passes only the missing ones).
 */
export function renderRestore(plan: FirewallPlan, jumps: readonly FirewallRule[] = plan.jumps): string {
  const lines = [
    `*${plan.table}`,
    ...plan.chains.map((chain) => `:${chain} - [0:0]`),
    ...plan.rules.map(renderRuleLine),
    ...jumps.map(renderRuleLine),
    'COMMIT',
  ];
  return `${lines.join('\n')}\n`;
}

/** The rules in iptables-save output, with the table each belongs to. */
export function parseSavedRules(text: string): SavedRule[] {
  const rules: SavedRule[] = [];
  let table = '';
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) table = line.slice(1).trim();
    else if (line.startsWith('-A ')) {
      const [, chain, ...args] = splitSaveLine(line);
      if (chain !== undefined) rules.push({ table, chain, args });
    }
  }
  return rules;
}

/**
 * True when `saved` already has `jump`: a rule in the same table and chain whose only match is at
 * most a comment (any comment: a jump written by Linkerd's proxy-init counts) and whose target is
 * the same chain.
 */
export function hasJump(saved: readonly SavedRule[], jump: FirewallRule): boolean {
  const want = ['-j', ...jump.jump];
  return saved.some((r) => {
    if (r.table !== jump.table || r.chain !== jump.chain) return false;
    return sameArgs(withoutComment(r.args), [...jump.match, ...want]);
  });
}

/** The chain names declared (`:NAME POLICY [p:b]`) in `table` of iptables-save output. */
export function declaredChains(text: string, table: string): Set<string> {
  const chains = new Set<string>();
  let current = '';
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) current = line.slice(1).trim();
    else if (current === table && line.startsWith(':')) chains.add(line.slice(1).split(' ')[0] ?? '');
  }
  return chains;
}

/** Splits one iptables-save line into words, undoing its double quotes and backslash escapes. */
export function splitSaveLine(line: string): string[] {
  const words: string[] = [];
  let current = '';
  let inWord = false;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '\\' && i + 1 < line.length) current += line[++i];
      else if (ch === '"') quoted = false;
      else current += ch;
    } else if (ch === '"') {
      quoted = true;
      inWord = true;
    } else if (ch === ' ' || ch === '\t') {
      if (inWord) words.push(current);
      current = '';
      inWord = false;
    } else {
      current += ch;
      inWord = true;
    }
  }
  if (inWord) words.push(current);
  return words;
}

/** Double-quotes `text` the way iptables-save does for comments. */
function quote(text: string): string {
  return `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

function withoutComment(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '-m' && args[i + 1] === 'comment' && args[i + 2] === '--comment') {
      i += 3;
      continue;
    }
    out.push(args[i] ?? '');
  }
  return out;
}

function sameArgs(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((word, i) => word === b[i]);
}
