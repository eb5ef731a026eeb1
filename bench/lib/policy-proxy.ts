// A benchmark child: the sidecar's ProxyApp with its outbound targets from a StaticResolver, so a
// scenario can put a Service with chosen endpoints and ServiceProfile behind the proxy without a
// control plane. Configured by NODEMESH_BENCH_POLICY (JSON, see PolicyProxySpec); prints
// `ready <port>` once listening and runs until SIGTERM.
//
// Modes: `direct` has no logical targets (requests go to their authority, the data path alone);
// `logical` resolves web.shop.svc.cluster.local through discovery to the endpoints, with the profile
// when one is given, and balances with the given strategy.

import { ProxyApp } from '../../proxy/app.ts';
import { parseProxyConfig } from '../../proxy/config.ts';
import { StaticResolver } from '../../proxy/discovery/index.ts';
import { OutboundTargets } from '../../proxy/outbound/targets.ts';
import { createLogger } from '../../src/log/index.ts';
import { createRegistry } from '../../src/metrics/index.ts';
import { parseServiceProfilesYaml, toDestinationProfile } from '../../src/profiles/index.ts';

export interface PolicyProxySpec {
  readonly port: number;
  readonly mode: 'direct' | 'logical';
  readonly strategy?: 'p2c' | 'round-robin';
  readonly endpoints?: readonly { readonly host: string; readonly port: number }[];
  /** The ServiceProfile `spec` as YAML. */
  readonly profileSpec?: string;
}

export const POLICY_SERVICE = 'web.shop.svc.cluster.local';

const spec = JSON.parse(process.env.NODEMESH_BENCH_POLICY ?? '{}') as PolicyProxySpec;
const log = createLogger({ config: { level: 'warn', format: 'json', trace: [] }, name: 'bench-proxy' });
const config = parseProxyConfig({
  NODEMESH_PROXY_OUTBOUND_LISTEN_ADDRS: `127.0.0.1:${spec.port}`,
  NODEMESH_PROXY_INBOUND_LISTEN_ADDR: '127.0.0.1:0',
  NODEMESH_PROXY_ADMIN_LISTEN_ADDR: '127.0.0.1:0',
  NODEMESH_PROXY_CONTROL_LISTEN_ADDR: '127.0.0.1:0',
  NODEMESH_PROXY_IDENTITY_DISABLED: 'true',
  ...(spec.strategy === undefined ? {} : { NODEMESH_PROXY_OUTBOUND_BALANCER: spec.strategy }),
});
const resolver = new StaticResolver();
const authority = `${POLICY_SERVICE}:80`;
resolver.setEndpoints(
  authority,
  (spec.endpoints ?? []).map((e) => ({ ...e, weight: 10_000, protocolHint: undefined, labels: {} })),
);
if (spec.profileSpec !== undefined) {
  const yaml = `apiVersion: nodemesh.io/v1alpha2\nkind: ServiceProfile\nmetadata:\n  name: ${POLICY_SERVICE}\n  namespace: shop\nspec:\n${spec.profileSpec.replace(/^/gm, '  ')}\n`;
  const [doc] = parseServiceProfilesYaml(yaml, 'bench-profile.yaml');
  if (doc?.ok !== true) throw new Error(`bad benchmark profile: ${doc?.ok === false ? doc.error.message : 'none'}`);
  resolver.setProfile(
    authority,
    toDestinationProfile(doc.profile, { fqn: POLICY_SERVICE, port: 80, clusterDomain: 'cluster.local' }),
  );
}
const targets =
  spec.mode === 'logical'
    ? new OutboundTargets(
        { discovery: resolver, log },
        { profileSuffixes: ['svc.cluster.local.'], strategy: config.outboundBalancer },
      )
    : undefined;
const app = new ProxyApp({
  config,
  log,
  registry: createRegistry({ component: 'proxy', version: '0', collectDefaults: false }),
  ...(targets === undefined ? {} : { outboundTargets: targets }),
});
const addrs = await app.start();
process.stdout.write(`ready ${addrs.outbound[0]?.port ?? 0}\n`);
process.once('SIGTERM', () => {
  void app.shutdown(100).then(() => {
    targets?.close();
    process.exit(0);
  });
});
