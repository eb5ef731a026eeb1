// The value rules the injector checks, shared by the chart values (injector-config.ts) and the
// `config.nodemesh.io/*` annotations (annotations.ts), so a setting means the same in both places.
//
// Contract: pure functions from the text given to `Checked<T>`: the value, or what is allowed in
// words a person can act on. The allowed sets mirror what the proxy and proxy-init accept
// (proxy/config.ts, proxy/init/proxy-init-config.ts); test/integration/injector-proxy-env.test.ts
// holds them equal, since controller/ may not import proxy/.

import { isIPv4, isIPv6 } from 'node:net';
import { parseDurationMs, parsePortList } from '../../src/config/index.ts';
import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from '../../src/log/index.ts';

export type Checked<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly allowed: string; readonly detail?: string };

const ok = <T>(value: T): Checked<T> => ({ ok: true, value });
const bad = <T>(allowed: string, detail?: string): Checked<T> =>
  detail === undefined ? { ok: false, allowed } : { ok: false, allowed, detail };

/** The proxy's NODEMESH_PROXY_INBOUND_DEFAULT_POLICY values (Linkerd's, without `audit`). */
export const INBOUND_POLICIES = [
  'all-unauthenticated',
  'all-authenticated',
  'cluster-unauthenticated',
  'cluster-authenticated',
  'deny',
] as const;
export type InboundPolicy = (typeof INBOUND_POLICIES)[number];

/** proxy-init's --iptables-mode values. */
export const IPTABLES_MODES = ['auto', 'nft', 'legacy'] as const;
export type IptablesMode = (typeof IPTABLES_MODES)[number];

export const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'] as const;
export type PullPolicy = (typeof PULL_POLICIES)[number];

export const PORT_ALLOWED = 'a port number 1-65535';
export const PORT_LIST_ALLOWED = 'ports (1-65535) and ranges separated by commas, e.g. 25,443,8000-8010, or ""';
export const CIDR_LIST_ALLOWED = 'CIDRs separated by commas, e.g. 10.0.0.0/8,fd00::/8, or ""';
export const DURATION_ALLOWED = 'a duration with units, e.g. 100ms, 2s, 1m30s';
export const QUANTITY_ALLOWED = 'a Kubernetes quantity, e.g. 100m, 0.5, 64Mi, 1Gi, or "" for none';

export function checkPort(text: string): Checked<number> {
  if (!/^\d{1,5}$/.test(text.trim())) return bad(PORT_ALLOWED);
  const port = Number(text.trim());
  return port >= 1 && port <= 65_535 ? ok(port) : bad(PORT_ALLOWED);
}

/** A port list as text (spaces removed); "" is the empty list. */
export function checkPortList(text: string): Checked<string> {
  const compact = text.replaceAll(/\s+/g, '');
  if (compact === '') return ok('');
  return parsePortList(compact) === undefined ? bad(PORT_LIST_ALLOWED) : ok(compact);
}

/** CIDRs as text (spaces removed); "" is the empty list. */
export function checkCidrList(text: string): Checked<string> {
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const item of items) {
    if (!isCidr(item)) return bad(CIDR_LIST_ALLOWED, `${JSON.stringify(item)} is not a CIDR`);
  }
  return ok(items.join(','));
}

function isCidr(text: string): boolean {
  const match = /^([^/]+)\/(\d{1,3})$/.exec(text);
  if (match === null) return false;
  const prefix = Number(match[2]);
  const host = match[1] ?? '';
  if (isIPv4(host)) return prefix <= 32;
  if (isIPv6(host)) return prefix <= 128;
  return false;
}

/** A Go-style duration, kept as written (the proxy parses the same syntax). */
export function checkDuration(text: string, opts: { readonly allowEmpty: boolean }): Checked<string> {
  const trimmed = text.trim();
  if (trimmed === '' && opts.allowEmpty) return ok('');
  const ms = parseDurationMs(trimmed);
  if (ms === undefined || ms <= 0)
    return bad(opts.allowEmpty ? `${DURATION_ALLOWED}, or "" for none` : DURATION_ALLOWED);
  return ok(trimmed);
}

const QUANTITY = /^(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+|[numkMGTPE]|Ki|Mi|Gi|Ti|Pi|Ei)?$/;

/** A non-negative Kubernetes quantity; "" means not set. */
export function checkQuantity(text: string): Checked<string> {
  const trimmed = text.trim();
  if (trimmed === '') return ok('');
  return QUANTITY.test(trimmed) ? ok(trimmed) : bad(QUANTITY_ALLOWED);
}

export function checkOneOf<const T extends string>(text: string, allowed: readonly T[]): Checked<T> {
  const found = allowed.find((a) => a === text.trim());
  return found === undefined ? bad(`one of ${allowed.join(', ')}`) : ok(found);
}

export function checkLogLevel(text: string): Checked<LogLevel> {
  return checkOneOf(text, LOG_LEVELS);
}

export function checkLogFormat(text: string): Checked<LogFormat> {
  return checkOneOf(text, LOG_FORMATS);
}

/** A whole number in [min, max]. */
export function checkInt(text: string, min: number, max: number): Checked<number> {
  const trimmed = text.trim();
  const allowed = `a whole number from ${min} to ${max}`;
  if (!/^-?\d+$/.test(trimmed)) return bad(allowed);
  const n = Number(trimmed);
  return n >= min && n <= max ? ok(n) : bad(allowed);
}

/** `enabled` / `disabled` (the annotations' booleans, as Linkerd writes them). */
export function checkEnabled(text: string): Checked<boolean> {
  const found = checkOneOf(text, ['enabled', 'disabled', 'true', 'false'] as const);
  if (!found.ok) return bad('enabled or disabled (also true or false)');
  return ok(found.value === 'enabled' || found.value === 'true');
}

/** An image reference without a tag (`ghcr.io/nodemesh/nodemesh`). */
export function checkImageName(text: string): Checked<string> {
  const trimmed = text.trim();
  return /^[a-z0-9][a-z0-9._\-/:]*[a-z0-9]$/.test(trimmed) && !trimmed.includes('@')
    ? ok(trimmed)
    : bad('an image name without tag or digest, e.g. ghcr.io/nodemesh/nodemesh');
}

/** An image tag ("" only where the caller allows it). */
export function checkImageTag(text: string): Checked<string> {
  const trimmed = text.trim();
  return /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(trimmed)
    ? ok(trimmed)
    : bad('an image tag: letters, digits, _ . - (at most 128), e.g. 0.1.0');
}

/** Container EnvVar objects (name plus value or valueFrom), as the proxy container takes them. */
export function checkEnvList(value: unknown): Checked<readonly EnvVar[]> {
  const allowed = 'a list of EnvVar objects, each {name, value} or {name, valueFrom}';
  if (!Array.isArray(value)) return bad(allowed);
  const out: EnvVar[] = [];
  for (const [i, item] of value.entries()) {
    if (typeof item !== 'object' || item === null || Array.isArray(item))
      return bad(allowed, `item ${i} is not an object`);
    const { name, value: v, valueFrom, ...rest } = item as Record<string, unknown>;
    if (typeof name !== 'string' || !/^[-._a-zA-Z][-._a-zA-Z0-9]*$/.test(name))
      return bad(allowed, `item ${i} has no valid name`);
    if (Object.keys(rest).length > 0)
      return bad(allowed, `item ${i} has unknown fields ${Object.keys(rest).join(', ')}`);
    if (v !== undefined && typeof v !== 'string') return bad(allowed, `item ${i} (${name}): value must be a string`);
    if (valueFrom !== undefined && (typeof valueFrom !== 'object' || valueFrom === null || v !== undefined))
      return bad(allowed, `item ${i} (${name}): valueFrom must be an object, without value`);
    out.push(
      valueFrom === undefined
        ? { name, value: v ?? '' }
        : { name, valueFrom: structuredClone(valueFrom) as Readonly<Record<string, unknown>> },
    );
  }
  return ok(out);
}

/** A container environment variable (core/v1 EnvVar). */
export type EnvVar =
  | { readonly name: string; readonly value: string }
  | { readonly name: string; readonly valueFrom: Readonly<Record<string, unknown>> };
