// The inbound default authorization policy (linkerd.md §4.3; issue 5): who may talk to this pod.
//
//   all-unauthenticated      anyone
//   all-authenticated        only clients that proved a mesh identity (mTLS)
//   cluster-unauthenticated  only clients from the cluster networks
//   cluster-authenticated    only clients from the cluster networks that proved a mesh identity
//   deny                     nobody
//
// Ports in NODEMESH_PROXY_INBOUND_PORTS_REQUIRE_IDENTITY require a proven identity whatever the
// default says. Contract: check() is pure and cheap (called per request and per connection).

import { BlockList, isIPv4 } from 'node:net';
import type { InboundPolicy as PolicyName } from '../config.ts';
import type { TlsLabels } from '../connection.ts';

export interface PolicyInput {
  /** The app port the connection or request is for. */
  readonly port: number;
  /** The client's address as the proxy saw it. */
  readonly clientIp: string;
  readonly tls: TlsLabels;
}

export type PolicyDecision = { readonly allowed: true } | { readonly allowed: false; readonly reason: string };

const ALLOWED: PolicyDecision = Object.freeze({ allowed: true });

export class InboundPolicy {
  readonly #default: PolicyName;
  readonly #requireIdentity: ReadonlySet<number>;
  readonly #cluster: BlockList;

  constructor(opts: {
    readonly defaultPolicy: PolicyName;
    readonly requireIdentityPorts: readonly number[];
    /** CIDRs, already validated (`10.0.0.0/8`, `fd00::/8`). */
    readonly clusterNetworks: readonly string[];
  }) {
    this.#default = opts.defaultPolicy;
    this.#requireIdentity = new Set(opts.requireIdentityPorts);
    this.#cluster = new BlockList();
    for (const cidr of opts.clusterNetworks) {
      const [address = '', prefix = ''] = cidr.split('/');
      const family = isIPv4(address) ? 'ipv4' : 'ipv6';
      this.#cluster.addSubnet(address, Number(prefix || (family === 'ipv4' ? 32 : 128)), family);
    }
  }

  check(input: PolicyInput): PolicyDecision {
    const authenticated = input.tls.tls === 'true' && input.tls.client_id !== undefined && input.tls.client_id !== '';
    if (this.#requireIdentity.has(input.port) && !authenticated) {
      return { allowed: false, reason: `port ${input.port} requires a mesh identity (mTLS) and the client has none` };
    }
    switch (this.#default) {
      case 'all-unauthenticated':
        return ALLOWED;
      case 'all-authenticated':
        return authenticated
          ? ALLOWED
          : { allowed: false, reason: 'this pod only accepts clients with a mesh identity (all-authenticated)' };
      case 'cluster-unauthenticated':
        return this.#inCluster(input.clientIp)
          ? ALLOWED
          : {
              allowed: false,
              reason: `client ${input.clientIp} is outside the cluster networks (cluster-unauthenticated)`,
            };
      case 'cluster-authenticated':
        if (!this.#inCluster(input.clientIp)) {
          return {
            allowed: false,
            reason: `client ${input.clientIp} is outside the cluster networks (cluster-authenticated)`,
          };
        }
        return authenticated
          ? ALLOWED
          : { allowed: false, reason: 'this pod only accepts clients with a mesh identity (cluster-authenticated)' };
      case 'deny':
        return { allowed: false, reason: 'this pod denies all inbound traffic (deny)' };
    }
  }

  #inCluster(ip: string): boolean {
    const plain = ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
    return this.#cluster.check(plain, isIPv4(plain) ? 'ipv4' : 'ipv6');
  }
}
