// SettingsReader: reads typed settings from an EnvSource and collects every problem before failing.
//
// Contract: call the typed readers for every setting a component has (each returns a usable value,
// the default when the raw value is bad, so parsing goes on), then `finish(value)` once: it throws
// one ConfigError naming every bad setting, its value and what is allowed, or returns `value`
// deep-frozen. A reader is used by one parse function and then dropped.

import { isIP } from 'node:net';
import { ConfigError, type ConfigProblem } from '../errors/index.ts';
import { formatDurationMs, parseDurationMs } from './duration.ts';
import type { EnvSource } from './env-source.ts';

export interface SocketAddress {
  readonly host: string;
  readonly port: number;
}

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

interface WithDefault<T> {
  readonly default: T;
}

export class SettingsReader {
  readonly #env: EnvSource;
  readonly #component: string;
  readonly #problems: ConfigProblem[] = [];

  constructor(component: string, env: EnvSource) {
    this.#component = component;
    this.#env = env;
  }

  /** The raw value, with surrounding whitespace removed; empty counts as unset. */
  raw(name: string): string | undefined {
    const value = this.#env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  }

  /** Record a problem found by the caller's own checks (cross-field rules, for example). */
  problem(problem: ConfigProblem): void {
    this.#problems.push(problem);
  }

  get problemCount(): number {
    return this.#problems.length;
  }

  string(name: string, opts: WithDefault<string>): string {
    return this.raw(name) ?? opts.default;
  }

  /** A setting that must be present; returns '' (and records a problem) when missing. */
  requiredString(name: string, allowed: string): string {
    const value = this.raw(name);
    if (value === undefined) {
      this.problem({ name, value: undefined, allowed });
      return '';
    }
    return value;
  }

  optionalString(name: string): string | undefined {
    return this.raw(name);
  }

  oneOf<const T extends string>(name: string, allowed: readonly T[], opts: WithDefault<T>): T {
    const value = this.raw(name);
    if (value === undefined) return opts.default;
    const found = allowed.find((a) => a === value);
    if (found !== undefined) return found;
    this.problem({ name, value, allowed: `one of ${allowed.join(', ')}` });
    return opts.default;
  }

  bool(name: string, opts: WithDefault<boolean>): boolean {
    const value = this.raw(name);
    if (value === undefined) return opts.default;
    const lower = value.toLowerCase();
    if (lower === 'true' || lower === '1' || lower === 'yes') return true;
    if (lower === 'false' || lower === '0' || lower === 'no') return false;
    this.problem({ name, value, allowed: 'true or false' });
    return opts.default;
  }

  int(name: string, opts: WithDefault<number> & { readonly min?: number; readonly max?: number }): number {
    const value = this.raw(name);
    if (value === undefined) return opts.default;
    const n = /^-?\d+$/.test(value) ? Number(value) : Number.NaN;
    const min = opts.min ?? Number.MIN_SAFE_INTEGER;
    const max = opts.max ?? Number.MAX_SAFE_INTEGER;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      this.problem({ name, value, allowed: `an integer from ${min} to ${max}` });
      return opts.default;
    }
    return n;
  }

  /** A number (fractions allowed) within [min, max]. */
  number(name: string, opts: WithDefault<number> & { readonly min: number; readonly max: number }): number {
    const value = this.raw(name);
    if (value === undefined) return opts.default;
    const n = /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isFinite(n) || n < opts.min || n > opts.max) {
      this.problem({ name, value, allowed: `a number from ${opts.min} to ${opts.max}` });
      return opts.default;
    }
    return n;
  }

  /** A duration with units (`250ms`, `10s`, `1h`), returned in milliseconds. */
  durationMs(name: string, opts: WithDefault<number> & { readonly min?: number; readonly max?: number }): number {
    const value = this.raw(name);
    if (value === undefined) return opts.default;
    const ms = parseDurationMs(value);
    const min = opts.min ?? 0;
    const max = opts.max ?? Number.POSITIVE_INFINITY;
    if (ms === undefined || ms < min || ms > max) {
      const range =
        max === Number.POSITIVE_INFINITY
          ? `at least ${formatDurationMs(min)}`
          : `from ${formatDurationMs(min)} to ${formatDurationMs(max)}`;
      this.problem({
        name,
        value,
        allowed: `a duration with units (ns, us, ms, s, m, h), e.g. 250ms or 10s, ${range}`,
      });
      return opts.default;
    }
    return ms;
  }

  /** A listen address: an IP literal and a port, `127.0.0.1:4140` or `[::1]:4140`. */
  socketAddress(name: string, opts: WithDefault<SocketAddress>): SocketAddress {
    const value = this.raw(name);
    if (value === undefined) return opts.default;
    const parsed = splitHostPort(value);
    if (parsed === undefined || isIP(parsed.host) === 0) {
      this.problem({ name, value, allowed: 'an IP address and a port, e.g. 0.0.0.0:4143 or [::1]:4140' });
      return opts.default;
    }
    return parsed;
  }

  /** A list of listen addresses separated by commas. */
  socketAddresses(name: string, opts: WithDefault<readonly SocketAddress[]>): readonly SocketAddress[] {
    const value = this.raw(name);
    if (value === undefined) return opts.default;
    const out: SocketAddress[] = [];
    for (const item of value
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '')) {
      const parsed = splitHostPort(item);
      if (parsed === undefined || isIP(parsed.host) === 0) {
        this.problem({
          name,
          value,
          allowed: 'IP addresses with ports separated by commas, e.g. 127.0.0.1:4140,[::1]:4140',
          detail: `${JSON.stringify(item)} is not an address`,
        });
        return opts.default;
      }
      out.push(parsed);
    }
    return out.length === 0 ? opts.default : out;
  }

  /** A host name or IP with a port, e.g. `nodemesh-identity-headless.nodemesh.svc.cluster.local.:8080`. */
  hostPort(name: string, opts: WithDefault<HostPort | undefined>): HostPort | undefined {
    const value = this.raw(name);
    if (value === undefined) return opts.default;
    const parsed = splitHostPort(value);
    if (parsed === undefined || (isIP(parsed.host) === 0 && !isDnsName(parsed.host))) {
      this.problem({ name, value, allowed: 'a host name or IP address and a port, e.g. identity.example:8080' });
      return opts.default;
    }
    return parsed;
  }

  /** A set of ports: `80,443,8000-8010`. */
  ports(name: string, opts: WithDefault<readonly number[]>): readonly number[] {
    const value = this.raw(name);
    if (value === undefined) return opts.default;
    const ports = parsePortList(value);
    if (ports === undefined) {
      this.problem({ name, value, allowed: 'ports (1-65535) and ranges separated by commas, e.g. 25,443,8000-8010' });
      return opts.default;
    }
    return ports;
  }

  /** Throws one ConfigError with every problem recorded, or returns `value` deep-frozen. */
  finish<T extends object>(value: T): Readonly<T> {
    if (this.#problems.length > 0) throw new ConfigError(this.#component, this.#problems);
    return deepFreeze(value);
  }
}

/** Split `host:port` or `[v6]:port`; undefined when the shape or the port is wrong. */
export function splitHostPort(text: string): { host: string; port: number } | undefined {
  const match = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:[\]]+):(\d+)$/.exec(text);
  if (match === null) return undefined;
  const host = match[1] ?? '';
  const port = Number(match[2]);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) return undefined;
  return { host, port };
}

/** Ports and ranges separated by commas, each in 1..65535; undefined when any item is bad. */
export function parsePortList(text: string): number[] | undefined {
  const out = new Set<number>();
  for (const item of text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')) {
    const range = /^(\d+)(?:-(\d+))?$/.exec(item);
    if (range === null) return undefined;
    const lo = Number(range[1]);
    const hi = range[2] === undefined ? lo : Number(range[2]);
    if (lo < 1 || hi > 65_535 || hi < lo) return undefined;
    if (hi - lo > 65_535) return undefined;
    for (let p = lo; p <= hi; p++) out.add(p);
  }
  return [...out].sort((a, b) => a - b);
}

function isDnsName(host: string): boolean {
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  if (name.length === 0 || name.length > 253) return false;
  return name.split('.').every((label) => /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i.test(label));
}

function deepFreeze<T>(value: T): Readonly<T> {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}
