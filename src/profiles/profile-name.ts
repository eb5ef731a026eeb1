// Service names as ServiceProfiles use them: the profile's own name and dstOverrides authorities,
// both `<service>.<namespace>.svc.<cluster-domain>` (an authority may add `:<port>`).
//
// Contract: pure; never throws; results say why a name is refused, in words for messages. The
// service is a DNS-1035 label (a Kubernetes Service name), the namespace a DNS-1123 label, the
// cluster domain one or more DNS-1123 labels, and the whole name at most 253 characters.

/** The parts of `<service>.<namespace>.svc.<cluster-domain>`. */
export interface ServiceName {
  readonly service: string;
  readonly namespace: string;
  readonly clusterDomain: string;
}

export type NameResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

export const PROFILE_NAME_ALLOWED =
  '<service>.<namespace>.svc.<cluster-domain>, lower case, e.g. web.shop.svc.cluster.local';
export const AUTHORITY_ALLOWED =
  '<service>.<namespace>.svc.<cluster-domain>[:<port>], e.g. web-v2.shop.svc.cluster.local or web-v2.shop.svc.cluster.local:8080';

const MAX_NAME = 253;

/** `<service>.<namespace>.svc.<cluster-domain>`. */
export function serviceProfileName(name: ServiceName): string {
  return `${name.service}.${name.namespace}.svc.${name.clusterDomain}`;
}

/** Split and check `<service>.<namespace>.svc.<cluster-domain>`. */
export function parseServiceName(name: string): NameResult<ServiceName> {
  if (name.length > MAX_NAME) return { ok: false, reason: `is ${name.length} characters long (at most ${MAX_NAME})` };
  const labels = name.split('.');
  for (const label of labels) {
    const problem = dnsLabelProblem(label);
    if (problem !== undefined)
      return { ok: false, reason: `is not a DNS-1123 name: label ${JSON.stringify(label)} ${problem}` };
  }
  const [service = '', namespace = '', svc, ...domain] = labels;
  if (svc !== 'svc' || domain.length === 0) {
    return { ok: false, reason: 'does not have the form <service>.<namespace>.svc.<cluster-domain>' };
  }
  if (!/^[a-z]/.test(service))
    return { ok: false, reason: `service ${JSON.stringify(service)} must start with a letter (DNS-1035)` };
  return { ok: true, value: { service, namespace, clusterDomain: domain.join('.') } };
}

/** A dstOverrides authority: the service name and the port, if one was given. */
export interface Authority extends ServiceName {
  readonly host: string;
  readonly port: number | undefined;
}

/** Split and check `<service>.<namespace>.svc.<cluster-domain>[:<port>]`. */
export function parseAuthority(authority: string): NameResult<Authority> {
  const colon = authority.lastIndexOf(':');
  const host = colon === -1 ? authority : authority.slice(0, colon);
  let port: number | undefined;
  if (colon !== -1) {
    const text = authority.slice(colon + 1);
    port = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
    if (!(port >= 1 && port <= 65_535)) return { ok: false, reason: `port ${JSON.stringify(text)} is not in 1-65535` };
  }
  const name = parseServiceName(host);
  if (!name.ok) return name;
  return { ok: true, value: { ...name.value, host, port } };
}

function dnsLabelProblem(label: string): string | undefined {
  if (label.length === 0) return 'is empty';
  if (label.length > 63) return `is ${label.length} characters long (at most 63)`;
  if (/[A-Z]/.test(label)) return 'contains upper-case letters';
  const bad = /[^a-z0-9-]/.exec(label);
  if (bad !== null) return `contains ${JSON.stringify(bad[0])}`;
  if (label.startsWith('-') || label.endsWith('-')) return "starts or ends with '-'";
  return undefined;
}
