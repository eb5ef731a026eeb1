// Scraping proxies for the live-traffic commands (`stat`, `routes`): parse the --window flag, GET
// every proxy's admin /metrics twice, a window apart, and pair the two scrapes. Proxies are
// ProxyTargets (local or Kubernetes, proxy-target.ts); the MeshComponent forms (meshProxies,
// scrapeMetrics, scrapeTwice) are the local mesh's, kept for the verbs that read only it.
//
// Contract: scrapeTwice never throws for a proxy that does not answer; that proxy's result carries
// the reason instead. It resolves to undefined only when `signal` aborts during the window.

import { setTimeout as sleep } from 'node:timers/promises';
import { parseDurationMs } from '../../config/index.ts';
import { UsageError } from '../../errors/index.ts';
import { parsePrometheusText, type ParsedMetrics } from '../../metrics/index.ts';
import type { Writable } from 'node:stream';
import { writeLine } from '../output.ts';
import { MeshStateError, isProxy, readMeshState, reasonOf, type MeshComponent } from './mesh-state.ts';
import { localTarget } from './proxy-source-local.ts';
import type { ProxyTarget } from './proxy-target.ts';

export const DEFAULT_WINDOW = '5s';
const SCRAPE_TIMEOUT_MS = 2000;
/** At most this many scrapes at once (a cluster may have hundreds of meshed pods). */
export const SCRAPE_CONCURRENCY = 16;

export type ScrapeResult = { readonly metrics: ParsedMetrics; readonly at: number } | { readonly error: string };

/** Two scrapes of one proxy and the time between them, or why one of them failed. */
export type ScrapePair =
  | { readonly before: ParsedMetrics; readonly after: ParsedMetrics; readonly windowMs: number }
  | { readonly error: string };

/** The --window flag in milliseconds (default 5s); a UsageError unless it is a positive duration. */
export function parseWindowMs(command: string, text: string): number {
  const windowMs = parseDurationMs(text);
  if (windowMs === undefined || windowMs <= 0) {
    throw new UsageError(
      `${command}: --window ${JSON.stringify(text)} is not a positive duration; allowed: a number with units, e.g. 5s or 500ms`,
    );
  }
  return windowMs;
}

/**
 * The proxies of the running local mesh (DIR/state.json), or undefined after telling `stderr` why
 * there are none to scrape (no mesh running, a broken state file, no proxies).
 */
export async function meshProxies(
  cwd: string,
  stateDir: string | undefined,
  stderr: Writable,
): Promise<MeshComponent[] | undefined> {
  let proxies: MeshComponent[];
  try {
    proxies = (await readMeshState(cwd, stateDir)).components.filter(isProxy);
  } catch (err) {
    if (!(err instanceof MeshStateError)) throw err;
    writeLine(stderr, `error: ${err.message}`);
    return undefined;
  }
  if (proxies.length === 0) {
    writeLine(stderr, 'error: the local mesh has no proxies to scrape');
    return undefined;
  }
  return proxies;
}

/** GET one proxy's /metrics and parse it; `at` is when the answer arrived (performance.now()). */
export async function scrapeMetrics(proxy: MeshComponent, signal: AbortSignal): Promise<ScrapeResult> {
  return scrapeTarget(localTarget(proxy), signal);
}

/** Scrapes every proxy, waits `windowMs`, scrapes again; one pair per proxy, in order. */
export async function scrapeTwice(
  proxies: readonly MeshComponent[],
  windowMs: number,
  signal: AbortSignal,
): Promise<ScrapePair[] | undefined> {
  return scrapeTargetsTwice(proxies.map(localTarget), windowMs, signal);
}

/** GET one target's /metrics and parse it; `at` is when the answer arrived (performance.now()). */
export async function scrapeTarget(target: ProxyTarget, signal: AbortSignal): Promise<ScrapeResult> {
  try {
    const res = await target.get('/metrics', SCRAPE_TIMEOUT_MS, signal);
    const at = performance.now();
    if (res.status !== 200) return { error: `GET /metrics answered ${res.status}` };
    return { metrics: parsePrometheusText(res.body), at };
  } catch (err) {
    return { error: reasonOf(err) };
  }
}

/** Scrapes every target, waits `windowMs`, scrapes again; one pair per target, in order. */
export async function scrapeTargetsTwice(
  targets: readonly ProxyTarget[],
  windowMs: number,
  signal: AbortSignal,
): Promise<ScrapePair[] | undefined> {
  const first = await mapLimited(targets, SCRAPE_CONCURRENCY, (t) => scrapeTarget(t, signal));
  try {
    await sleep(windowMs, undefined, { signal });
  } catch {
    return undefined; // interrupted
  }
  const second = await mapLimited(targets, SCRAPE_CONCURRENCY, (t) => scrapeTarget(t, signal));
  return targets.map((_, i): ScrapePair => {
    const a = first[i];
    const b = second[i];
    if (a === undefined || b === undefined) return { error: 'not scraped' };
    if ('error' in a) return { error: a.error };
    if ('error' in b) return { error: b.error };
    return { before: a.metrics, after: b.metrics, windowMs: b.at - a.at };
  });
}

/** `fn` over every item, at most `limit` at a time; results in the items' order. */
export async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** A 0..1 share as a percentage with two decimals, "-" when there is no data. */
export function formatPercent(value: number | undefined): string {
  return value === undefined ? '-' : `${(value * 100).toFixed(2)}%`;
}

/** Milliseconds, one decimal below 10 ms, "-" when there is no data. */
export function formatMillis(value: number | undefined): string {
  if (value === undefined) return '-';
  return value < 10 ? `${value.toFixed(1)}ms` : `${Math.round(value)}ms`;
}

/** A report's `undefined` numbers as null, so every field shows in JSON. */
export function nullsForUndefined(values: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).map(([k, v]: [string, unknown]) => [k, v ?? null]));
}
