// Flags shared by `identity init` and `identity issuer`: the mesh domain and lifetimes.

import { parseDurationMs } from '../../config/index.ts';
import { UsageError } from '../../errors/index.ts';
import {
  DEFAULT_CONTROL_NAMESPACE,
  DEFAULT_TRUST_DOMAIN,
  isDnsLabel,
  isDnsName,
  type MeshDomain,
} from '../../tls/index.ts';

export function meshDomainFlags(
  command: string,
  values: { 'trust-domain'?: string | undefined; 'control-namespace'?: string | undefined },
): MeshDomain {
  const trustDomain = values['trust-domain'] ?? DEFAULT_TRUST_DOMAIN;
  const controlNamespace = values['control-namespace'] ?? DEFAULT_CONTROL_NAMESPACE;
  if (!isDnsName(trustDomain)) {
    throw new UsageError(`${command}: --trust-domain ${JSON.stringify(trustDomain)} is not a lower-case DNS name`);
  }
  if (!isDnsLabel(controlNamespace)) {
    throw new UsageError(
      `${command}: --control-namespace ${JSON.stringify(controlNamespace)} is not a lower-case DNS label`,
    );
  }
  return { trustDomain, controlNamespace };
}

export function lifetimeFlag(command: string, flag: string, value: string | undefined, defaultMs: number): number {
  if (value === undefined) return defaultMs;
  const ms = parseDurationMs(value);
  if (ms === undefined || ms < 60_000) {
    throw new UsageError(
      `${command}: --${flag} ${JSON.stringify(value)} is not allowed; give a duration of at least 1m, e.g. 8760h`,
    );
  }
  return ms;
}
