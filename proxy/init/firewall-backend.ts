// Choosing the iptables backend and its binaries: nf_tables (`iptables-nft-*`), legacy x_tables
// (`iptables-legacy-*`), or, in auto mode, whichever the machine uses.
//
// Contract: `resolveBackend` returns absolute paths of the save and restore binaries for each
// family it is asked for, all of the same backend, or throws FirewallBinaryMissingError naming
// every binary it looked for. Auto mode: when only one backend is installed it is chosen; when
// both are, the one that already holds more rules wins (ties go to nft), the rule Kubernetes'
// iptables-wrappers use so that a pod never splits its rules across two backends; when neither
// suffixed set exists, the plain `iptables-save` / `iptables-restore` are used as they are.

import type { IpFamily } from './cidr.ts';
import { FirewallBinaryMissingError } from './firewall-errors.ts';
import type { FirewallRunner, Which } from './firewall-exec.ts';
import type { IptablesMode } from './proxy-init-config.ts';

/** `default` is the unsuffixed iptables-save / iptables-restore, backend unknown. */
export type FirewallBackendName = 'nft' | 'legacy' | 'default';

export interface FirewallBinaries {
  readonly save: string;
  readonly restore: string;
}

export interface FirewallBackend {
  readonly name: FirewallBackendName;
  readonly binaries: Readonly<Partial<Record<IpFamily, FirewallBinaries>>>;
}

export interface ResolveBackendDeps {
  readonly which: Which;
  /** Runs a save binary (used by auto mode to count existing rules). */
  readonly run: FirewallRunner;
}

/** The save and restore binary names of `backend` for `family`. */
export function binaryNames(backend: FirewallBackendName, family: IpFamily): FirewallBinaries {
  const base = family === 'ipv4' ? 'iptables' : 'ip6tables';
  const infix = backend === 'default' ? '' : `-${backend}`;
  return { save: `${base}${infix}-save`, restore: `${base}${infix}-restore` };
}

export async function resolveBackend(
  mode: IptablesMode,
  families: readonly IpFamily[],
  deps: ResolveBackendDeps,
): Promise<FirewallBackend> {
  const name = mode === 'auto' ? await detectBackend(deps) : mode;
  const binaries: Partial<Record<IpFamily, FirewallBinaries>> = {};
  const missing: string[] = [];
  for (const family of families) {
    const names = binaryNames(name, family);
    const save = await deps.which(names.save);
    const restore = await deps.which(names.restore);
    if (save === undefined) missing.push(names.save);
    if (restore === undefined) missing.push(names.restore);
    if (save !== undefined && restore !== undefined) binaries[family] = { save, restore };
  }
  if (missing.length > 0 && mode === 'auto' && name === 'default') {
    const looked = (['nft', 'legacy', 'default'] as const).flatMap((b) => {
      const names = binaryNames(b, 'ipv4');
      return [names.save, names.restore];
    });
    throw new FirewallBinaryMissingError(
      `no iptables found on PATH (looked for ${looked.join(', ')}); install iptables`,
      {
        fields: { mode, missing: looked },
      },
    );
  }
  if (missing.length > 0) {
    const other = name === 'nft' ? ' or --iptables-mode legacy' : name === 'legacy' ? ' or --iptables-mode nft' : '';
    throw new FirewallBinaryMissingError(
      `iptables mode ${mode}${mode === 'auto' ? ` (chose ${name})` : ''}: ${missing.join(', ')} not found on PATH; ` +
        `install iptables${other}`,
      { fields: { mode, backend: name, missing } },
    );
  }
  return { name, binaries };
}

async function detectBackend(deps: ResolveBackendDeps): Promise<FirewallBackendName> {
  const installed = async (backend: FirewallBackendName): Promise<string | undefined> => {
    const names = binaryNames(backend, 'ipv4');
    const save = await deps.which(names.save);
    return save !== undefined && (await deps.which(names.restore)) !== undefined ? save : undefined;
  };
  const nft = await installed('nft');
  const legacy = await installed('legacy');
  if (nft !== undefined && legacy !== undefined) {
    const [nftRules, legacyRules] = [countRules(await deps.run(nft, [])), countRules(await deps.run(legacy, []))];
    return legacyRules > nftRules ? 'legacy' : 'nft';
  }
  if (nft !== undefined) return 'nft';
  if (legacy !== undefined) return 'legacy';
  return 'default';
}

/** The number of rules (`-A` lines) in iptables-save output. */
function countRules(saved: string): number {
  return saved.split('\n').filter((line) => line.startsWith('-A ')).length;
}
