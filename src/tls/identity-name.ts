// Workload identity names: build and parse
// `<serviceaccount>.<namespace>.serviceaccount.identity.<control-namespace>.<trust-domain>`, and
// the well-known names of the control plane (identity service, issuer, trust anchor).
//
// Contract: every label is a DNS-1123 label (lower-case letters, digits, '-', starting and ending
// with a letter or digit, at most 63 characters); the trust domain is one or more such labels;
// the whole name is at most 253 characters. Failures throw IdentityNameError naming the part that
// is wrong and what is allowed. Pure and synchronous.

import { IdentityNameError } from './errors.ts';

export const DEFAULT_CONTROL_NAMESPACE = 'nodemesh';
export const DEFAULT_TRUST_DOMAIN = 'cluster.local';
/** The service account the identity service runs as (its own TLS identity is built from it). */
export const IDENTITY_SERVICE_ACCOUNT = 'nodemesh-identity';

const MAX_LABEL = 63;
const MAX_NAME = 253;
const LABEL_RULE =
  "a DNS-1123 label: lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters";

/** The parts of a workload identity name. */
export interface IdentityParts {
  readonly serviceAccount: string;
  readonly namespace: string;
  readonly controlNamespace: string;
  readonly trustDomain: string;
}

/** Where the control plane lives: its namespace and the mesh's trust domain. */
export interface MeshDomain {
  readonly controlNamespace: string;
  readonly trustDomain: string;
}

/** Why `label` is not a DNS-1123 label, or undefined when it is one. */
export function dnsLabelProblem(label: string): string | undefined {
  if (label.length === 0) return 'is empty';
  if (label.length > MAX_LABEL) return `is ${label.length} characters long (at most ${MAX_LABEL})`;
  if (/[A-Z]/.test(label)) return 'contains upper-case letters (use lower case)';
  const bad = /[^a-z0-9-]/.exec(label);
  if (bad !== null) return `contains ${JSON.stringify(bad[0])} at position ${bad.index + 1}`;
  if (label.startsWith('-')) return "starts with '-'";
  if (label.endsWith('-')) return "ends with '-'";
  return undefined;
}

/** True when `label` is a DNS-1123 label. */
export function isDnsLabel(label: string): boolean {
  return dnsLabelProblem(label) === undefined;
}

/** True when `name` is a DNS-1123 subdomain (dot-separated labels, at most 253 characters). */
export function isDnsName(name: string): boolean {
  return name.length <= MAX_NAME && name.split('.').every(isDnsLabel);
}

/**
 * Throws unless `value` is a DNS-1123 label. `part` names it in the message
 * (e.g. "namespace").
 */
export function checkDnsLabel(value: string, part: string): void {
  const problem = dnsLabelProblem(value);
  if (problem !== undefined) {
    throw new IdentityNameError(
      `the ${part} ${JSON.stringify(value)} is not valid: it ${problem}; it must be ${LABEL_RULE}`,
      { fields: { part, value } },
    );
  }
}

/** Throws unless `value` is a DNS-1123 subdomain (e.g. a trust domain or an identity). */
export function checkDnsName(value: string, part: string): void {
  if (value.length > MAX_NAME) {
    throw new IdentityNameError(
      `the ${part} ${JSON.stringify(value)} is ${value.length} characters long; at most ${MAX_NAME} are allowed`,
      { fields: { part, value } },
    );
  }
  const labels = value.split('.');
  labels.forEach((label, index) => {
    const problem = dnsLabelProblem(label);
    if (problem !== undefined) {
      throw new IdentityNameError(
        `the ${part} ${JSON.stringify(value)} is not valid: its label ${index + 1} ` +
          `(${JSON.stringify(label)}) ${problem}; each dot-separated label must be ${LABEL_RULE}`,
        { fields: { part, value, label } },
      );
    }
  });
}

/** Builds the identity name of a workload; throws IdentityNameError naming the bad part. */
export function identityName(parts: IdentityParts): string {
  checkDnsLabel(parts.serviceAccount, 'service account');
  checkDnsLabel(parts.namespace, 'namespace');
  checkDnsLabel(parts.controlNamespace, 'control-plane namespace');
  checkDnsName(parts.trustDomain, 'trust domain');
  const name = `${parts.serviceAccount}.${parts.namespace}.serviceaccount.identity.${parts.controlNamespace}.${parts.trustDomain}`;
  if (name.length > MAX_NAME) {
    throw new IdentityNameError(
      `the identity name ${JSON.stringify(name)} is ${name.length} characters long; at most ${MAX_NAME} are allowed (shorten the service account, namespace or trust domain)`,
      { fields: { part: 'identity name', value: name } },
    );
  }
  return name;
}

/**
 * Parses a workload identity name. When `expected` is given, the control-plane namespace and trust
 * domain must match it (a name from another mesh is refused with a message saying so).
 */
export function parseIdentityName(name: string, expected?: Partial<MeshDomain>): IdentityParts {
  const shape = '<serviceaccount>.<namespace>.serviceaccount.identity.<control-namespace>.<trust-domain>';
  const fail = (detail: string, part: string): never => {
    throw new IdentityNameError(
      `the identity name ${JSON.stringify(name)} is not valid: ${detail}; expected ${shape}`,
      { fields: { part, value: name } },
    );
  };
  if (name.length > MAX_NAME) fail(`it is ${name.length} characters long (at most ${MAX_NAME})`, 'identity name');
  const labels = name.split('.');
  if (labels.length < 6) fail(`it has ${labels.length} dot-separated labels, at least 6 are needed`, 'identity name');
  const [serviceAccount, namespace, kind, identity, controlNamespace, ...domain] = labels as [
    string,
    string,
    string,
    string,
    string,
    ...string[],
  ];
  const check = (value: string, part: string): void => {
    const problem = dnsLabelProblem(value);
    if (problem !== undefined)
      fail(`the ${part} label ${JSON.stringify(value)} ${problem} (must be ${LABEL_RULE})`, part);
  };
  check(serviceAccount, 'service account');
  check(namespace, 'namespace');
  if (kind !== 'serviceaccount')
    fail(`the third label is ${JSON.stringify(kind)}, it must be "serviceaccount"`, 'kind');
  if (identity !== 'identity')
    fail(`the fourth label is ${JSON.stringify(identity)}, it must be "identity"`, 'identity');
  check(controlNamespace, 'control-plane namespace');
  domain.forEach((label) => check(label, 'trust domain'));
  const trustDomain = domain.join('.');
  if (expected?.controlNamespace !== undefined && controlNamespace !== expected.controlNamespace) {
    fail(
      `its control-plane namespace is ${JSON.stringify(controlNamespace)}, this mesh's is ${JSON.stringify(expected.controlNamespace)}`,
      'control-plane namespace',
    );
  }
  if (expected?.trustDomain !== undefined && trustDomain !== expected.trustDomain) {
    fail(
      `its trust domain is ${JSON.stringify(trustDomain)}, this mesh's is ${JSON.stringify(expected.trustDomain)}`,
      'trust domain',
    );
  }
  return { serviceAccount, namespace, controlNamespace, trustDomain };
}

/** The TLS identity of the identity service itself (what proxies verify when they call it). */
export function identityServiceName(domain: MeshDomain): string {
  return identityName({
    serviceAccount: IDENTITY_SERVICE_ACCOUNT,
    namespace: domain.controlNamespace,
    ...domain,
  });
}

/** The conventional issuer certificate CN: `identity.<control-namespace>.<trust-domain>`. */
export function issuerCommonName(domain: MeshDomain): string {
  return checkedDomainName('identity', domain);
}

/** The conventional trust anchor CN: `root.<control-namespace>.<trust-domain>`. */
export function trustAnchorCommonName(domain: MeshDomain): string {
  return checkedDomainName('root', domain);
}

function checkedDomainName(prefix: string, domain: MeshDomain): string {
  checkDnsLabel(domain.controlNamespace, 'control-plane namespace');
  checkDnsName(domain.trustDomain, 'trust domain');
  const name = `${prefix}.${domain.controlNamespace}.${domain.trustDomain}`;
  checkDnsName(name, `${prefix} name`);
  return name;
}
