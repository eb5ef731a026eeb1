// The flags of `nodemesh dashboard`, validated once: where to listen (loopback unless
// --allow-remote), how often to scrape, and the state folder of the mesh.

import { parseDurationMs, splitHostPort } from '../../config/index.ts';
import { UsageError } from '../../errors/index.ts';

export const DEFAULT_DASHBOARD_ADDRESS = '127.0.0.1:50750';
export const DEFAULT_DASHBOARD_INTERVAL = '2s';
export const MIN_INTERVAL_MS = 200;

export interface DashboardConfig {
  readonly host: string;
  readonly port: number;
  readonly intervalMs: number;
  readonly stateDir: string | undefined;
}

export interface DashboardFlags {
  readonly address?: string | undefined;
  readonly interval?: string | undefined;
  readonly 'allow-remote'?: boolean | undefined;
  readonly 'state-dir'?: string | undefined;
}

/** True for 127.0.0.0/8, ::1 and localhost. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** The validated, frozen config; one UsageError naming every problem. */
export function parseDashboardFlags(flags: DashboardFlags): DashboardConfig {
  const problems: string[] = [];
  const address = flags.address ?? DEFAULT_DASHBOARD_ADDRESS;
  const hp = splitHostPort(address);
  if (hp === undefined) {
    problems.push(`--address ${JSON.stringify(address)} is not host:port; allowed: e.g. 127.0.0.1:50750 or [::1]:0`);
  } else if (!isLoopbackHost(hp.host) && flags['allow-remote'] !== true) {
    problems.push(
      `--address ${JSON.stringify(address)} is not a loopback address; the dashboard has no authentication, so it listens on loopback (127.0.0.0/8, ::1) unless --allow-remote is given`,
    );
  }
  const intervalText = flags.interval ?? DEFAULT_DASHBOARD_INTERVAL;
  const intervalMs = parseDurationMs(intervalText);
  if (intervalMs === undefined || intervalMs < MIN_INTERVAL_MS) {
    problems.push(
      `--interval ${JSON.stringify(intervalText)} is not a duration of at least ${MIN_INTERVAL_MS}ms; allowed: e.g. 2s or 500ms`,
    );
  }
  if (problems.length > 0 || hp === undefined || intervalMs === undefined) {
    throw new UsageError(`dashboard: ${problems.join('; ')}`);
  }
  return Object.freeze({ host: hp.host, port: hp.port, intervalMs, stateDir: flags['state-dir'] });
}
