// An in-process proxy whose outbound targets come from a StaticResolver the test controls:
// endpoints and ServiceProfiles (written as YAML, as a user would) are set per authority, and
// requests are sent to the proxy's outbound port with the Service name as Host.

import { request, Agent, type IncomingHttpHeaders } from 'node:http';
import { ProxyApp } from '../../proxy/app.ts';
import { parseProxyConfig } from '../../proxy/config.ts';
import { StaticResolver, type Endpoint as DiscoveredEndpoint } from '../../proxy/discovery/index.ts';
import { OutboundTargets } from '../../proxy/outbound/targets.ts';
import { createLogger } from '../../src/log/index.ts';
import { type Registry, createRegistry, parsePrometheusText, sumSamples } from '../../src/metrics/index.ts';
import { defaultDestinationProfile, parseServiceProfilesYaml, toDestinationProfile } from '../../src/profiles/index.ts';
import { parseAllDocuments } from 'yaml';

export const SERVICE = 'web.shop.svc.cluster.local';
export const AUTHORITY = `${SERVICE}:80`;

export interface OutboundProxy {
  readonly registry: Registry;
  readonly resolver: StaticResolver;
  readonly port: number;
  /** The admin server's port (/metrics, /ready). */
  readonly adminPort: number;
  /** The Service's endpoints (ports on 127.0.0.1) and its balancer.linkerd.io annotations. */
  setEndpoints(ports: readonly number[], balancerAnnotations?: Readonly<Record<string, string>>): void;
  /** Sets the ServiceProfile of web.shop from the YAML of its `spec`. */
  setProfile(specYaml: string): void;
  /**
   * Sets the profile of web.shop to one carrying the HTTPRoutes and GRPCRoutes of a YAML file (as
   * the destination controller sends them: each route object as JSON); an empty string removes them.
   */
  setGatewayRoutes(routesYaml: string): void;
  get(path: string, opts?: RequestOptions): Promise<Reply>;
  metric(name: string, labels?: Readonly<Record<string, string>>): Promise<number>;
  close(): Promise<void>;
}

export interface RequestOptions {
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Buffer;
}

export interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

const silent = createLogger({ config: { level: 'silent', format: 'json', trace: [] }, name: 'test' });

export async function startOutboundProxy(env: Readonly<Record<string, string>> = {}): Promise<OutboundProxy> {
  const registry = createRegistry({ component: 'proxy', version: '0', collectDefaults: false });
  const resolver = new StaticResolver();
  const config = parseProxyConfig({
    NODEMESH_PROXY_OUTBOUND_LISTEN_ADDRS: '127.0.0.1:0',
    NODEMESH_PROXY_INBOUND_LISTEN_ADDR: '127.0.0.1:0',
    NODEMESH_PROXY_ADMIN_LISTEN_ADDR: '127.0.0.1:0',
    NODEMESH_PROXY_CONTROL_LISTEN_ADDR: '127.0.0.1:0',
    NODEMESH_PROXY_IDENTITY_DISABLED: 'true',
    ...env,
  });
  const targets = new OutboundTargets(
    { discovery: resolver, log: silent },
    {
      profileSuffixes: ['svc.cluster.local.'],
      strategy: config.outboundBalancer,
      balancer: {
        failFastTimeoutMs: config.outboundFailFastTimeoutMs,
        queueCapacity: config.outboundQueueCapacity,
        ...(config.outboundFailureAccrual === undefined ? {} : { accrual: config.outboundFailureAccrual }),
      },
    },
  );
  const app = new ProxyApp({ config, log: silent, registry, outboundTargets: targets });
  const addrs = await app.start();
  const port = addrs.outbound[0]?.port ?? 0;
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  return {
    registry,
    resolver,
    port,
    adminPort: addrs.admin.port,
    setEndpoints(ports, balancerAnnotations) {
      const endpoints: DiscoveredEndpoint[] = ports.map((p) => ({
        host: '127.0.0.1',
        port: p,
        weight: 10_000,
        protocolHint: undefined,
        labels: { pod: `web-${p}` },
        ...(balancerAnnotations === undefined ? {} : { balancer: balancerAnnotations }),
      }));
      resolver.setEndpoints(AUTHORITY, endpoints);
    },
    setProfile(specYaml) {
      const yaml = `apiVersion: nodemesh.io/v1alpha2\nkind: ServiceProfile\nmetadata:\n  name: ${SERVICE}\n  namespace: shop\nspec:\n${specYaml.replace(/^/gm, '  ')}\n`;
      const [doc] = parseServiceProfilesYaml(yaml, 'profile.yaml');
      if (doc?.ok !== true) throw new Error(`bad test profile: ${doc?.ok === false ? doc.error.message : 'none'}`);
      resolver.setProfile(
        AUTHORITY,
        toDestinationProfile(doc.profile, { fqn: SERVICE, port: 80, clusterDomain: 'cluster.local' }),
      );
    },
    setGatewayRoutes(routesYaml) {
      const routes = parseAllDocuments(routesYaml)
        .map((doc) => doc.toJS() as unknown)
        .filter((object) => object !== null && object !== undefined)
        .map((object) => JSON.stringify(object));
      resolver.setProfile(AUTHORITY, { ...defaultDestinationProfile(SERVICE), gatewayRoutes: routes });
    },
    get: (path, opts = {}) => send(agent, port, path, opts),
    async metric(name, labels = {}) {
      return sumSamples(parsePrometheusText(await registry.metrics()), name, labels);
    },
    async close() {
      agent.destroy();
      await app.shutdown(100);
      targets.close();
    },
  };
}

function send(agent: Agent, port: number, path: string, opts: RequestOptions): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        agent,
        method: opts.method ?? 'GET',
        headers: {
          host: SERVICE,
          ...opts.headers,
          ...(opts.body === undefined ? {} : { 'content-length': String(opts.body.length) }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}
