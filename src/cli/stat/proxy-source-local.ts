// The local mesh as a ProxySource: the proxies (`<pod>-proxy` components) listed in the
// state.json that `nodemesh demo` writes, each read over plain HTTP at its admin address.

import { adminGet, isProxy, readMeshState, workloadOf, MeshStateError, type MeshComponent } from './mesh-state.ts';
import { ProxySourceError, type ProxyList, type ProxySource, type ProxyTarget } from './proxy-target.ts';

/** The host of a proxy's inbound (or else admin) address, to match other proxies' `target_ip`. */
export function componentHost(c: MeshComponent): string | undefined {
  const inbound = c.addresses.inbound;
  if (inbound !== undefined) {
    const at = inbound.lastIndexOf(':');
    return (at > 0 ? inbound.slice(0, at) : inbound).replace(/^\[|\]$/g, '');
  }
  const admin = c.addresses.admin;
  if (admin === undefined) return undefined;
  try {
    return new URL(admin).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return undefined;
  }
}

/** A local mesh component with an admin address as a ProxyTarget. */
export function localTarget(c: MeshComponent): ProxyTarget {
  const admin = c.addresses.admin ?? '';
  const identity = c.addresses.identity;
  return {
    name: c.name,
    workload: workloadOf(c),
    namespace: undefined,
    address: admin,
    log: c.log,
    host: componentHost(c),
    identity: identity === undefined || identity === '' ? undefined : identity,
    get: (path, timeoutMs, signal) => adminGet(admin, path, timeoutMs, signal),
  };
}

export class LocalProxySource implements ProxySource {
  readonly kind = 'local';
  readonly where = 'the local mesh';
  readonly #cwd: string;
  readonly #stateDir: string | undefined;

  constructor(options: { readonly cwd: string; readonly stateDir: string | undefined }) {
    this.#cwd = options.cwd;
    this.#stateDir = options.stateDir;
  }

  async list(): Promise<ProxyList> {
    let components: readonly MeshComponent[];
    try {
      components = (await readMeshState(this.#cwd, this.#stateDir)).components;
    } catch (err) {
      if (err instanceof MeshStateError) throw new ProxySourceError(err.message, { cause: err });
      throw err;
    }
    const proxies = components.filter(isProxy);
    if (proxies.length === 0) throw new ProxySourceError('the local mesh has no proxies to scrape');
    return { targets: proxies.map(localTarget), skipped: [] };
  }
}
