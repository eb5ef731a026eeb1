// Service-account usernames (`system:serviceaccount:<namespace>:<name>`), the form both Kubernetes
// TokenReview and our local tokens use to name a workload, and the audience identity tokens carry.
//
// Contract: a username is accepted only when both parts are DNS-1123 labels, because they become
// labels of the workload's identity name (`<sa>.<ns>.serviceaccount.identity...`). Pure.

import { dnsLabelProblem } from '../tls/index.ts';

/** The audience of the tokens proxies send to the identity service (the injector projects it). */
export const IDENTITY_TOKEN_AUDIENCE = 'identity.nodemesh.io';

const PREFIX = 'system:serviceaccount:';

/** A workload's service account. */
export interface ServiceAccountRef {
  readonly namespace: string;
  readonly serviceAccount: string;
}

/** `system:serviceaccount:<namespace>:<serviceAccount>`. */
export function serviceAccountUsername(ref: ServiceAccountRef): string {
  return `${PREFIX}${ref.namespace}:${ref.serviceAccount}`;
}

/**
 * The service account a username names, or a sentence saying why it names none (for a message
 * like `username "x" <problem>`).
 */
export function parseServiceAccountUsername(username: string): ServiceAccountRef | { readonly problem: string } {
  if (!username.startsWith(PREFIX)) {
    return { problem: 'is not a service account (expected system:serviceaccount:<namespace>:<name>)' };
  }
  const parts = username.slice(PREFIX.length).split(':');
  const [namespace, serviceAccount] = parts;
  if (parts.length !== 2 || namespace === undefined || serviceAccount === undefined) {
    return { problem: 'does not have the form system:serviceaccount:<namespace>:<name>' };
  }
  for (const [part, value] of [
    ['namespace', namespace],
    ['service account name', serviceAccount],
  ] as const) {
    const problem = dnsLabelProblem(value);
    if (problem !== undefined) return { problem: `has a ${part} that is not a DNS-1123 label: it ${problem}` };
  }
  return { namespace, serviceAccount };
}
