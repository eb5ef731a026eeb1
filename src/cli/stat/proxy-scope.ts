// The common start of `stat`, `routes` and `edges`: their flags (where the proxies are, the window,
// the output format), then open the ProxySource the flags choose, list its proxies, and say on
// stderr why there is nothing to scrape. Also the report fields that tell where a
// workload's numbers came from (one local proxy, or a namespace's pods).

import { EXIT_FAILURE, type CommandContext } from '../command.ts';
import { parseOutputFormat, writeLine, type OutputFormat } from '../output.ts';
import { DEFAULT_WINDOW, parseWindowMs } from './scrape.ts';
import {
  PROXY_SOURCE_FLAGS,
  chooseProxySource,
  openProxySource,
  type ProxySourceChoice,
  type ProxySourceFlags,
} from './proxy-source-flags.ts';
import { ProxySourceError, type ProxyList, type ProxySource } from './proxy-target.ts';
import type { WorkloadGroup } from './workload-groups.ts';

/** The flags every windowed verb takes (parseArgs options). */
export const WINDOWED_FLAGS = {
  ...PROXY_SOURCE_FLAGS,
  window: { type: 'string' },
  output: { type: 'string', short: 'o' },
} as const;

export interface WindowedOptions {
  readonly format: OutputFormat;
  /** The --window flag as given (default 5s), for reports. */
  readonly windowText: string;
  readonly windowMs: number;
  readonly choice: ProxySourceChoice;
}

/** The windowed flags checked; a UsageError names a bad one. */
export function windowedOptions(
  command: string,
  values: ProxySourceFlags & { readonly window?: string | undefined; readonly output?: string | undefined },
): WindowedOptions {
  const format = parseOutputFormat(command, values.output);
  const windowText = values.window ?? DEFAULT_WINDOW;
  return {
    format,
    windowText,
    windowMs: parseWindowMs(command, windowText),
    choice: chooseProxySource(command, values),
  };
}

/** The proxies to scrape, or an exit code after telling stderr why there are none. */
export async function listProxies(
  ctx: CommandContext,
  command: string,
  choice: ProxySourceChoice,
): Promise<{ source: ProxySource; list: ProxyList } | number> {
  let source: ProxySource;
  let list: ProxyList;
  try {
    source = await openProxySource(ctx, command, choice);
    list = await source.list(ctx.signal);
  } catch (err) {
    if (!(err instanceof ProxySourceError)) throw err;
    writeLine(ctx.stderr, `error: ${err.message}`);
    return EXIT_FAILURE;
  }
  if (list.targets.length === 0) {
    const skipped = list.skipped.length === 0 ? '' : ` (${list.skipped.length} meshed pods are not running)`;
    writeLine(
      ctx.stderr,
      `error: no meshed pods (with a nodemesh-proxy container) running in ${source.where}${skipped}`,
    );
    return EXIT_FAILURE;
  }
  return { source, list };
}

/** Where a local workload's numbers came from: its one proxy and admin address. */
export interface LocalOrigin {
  readonly workload: string;
  readonly proxy: string;
  readonly admin: string;
}

/** Where a Kubernetes workload's numbers came from: its pods, and those that did not answer. */
export interface PodsOrigin {
  readonly namespace: string;
  readonly workload: string;
  readonly pods: readonly string[];
  readonly unreachablePods: readonly { readonly pod: string; readonly error: string }[];
}

export type ReportOrigin = LocalOrigin | PodsOrigin;

/** The origin fields of a group's report. */
export function originOf(source: ProxySource, group: WorkloadGroup): ReportOrigin {
  const first = group.members[0]?.target;
  if (source.kind === 'local')
    return { workload: group.workload, proxy: first?.name ?? '', admin: first?.address ?? '' };
  return {
    namespace: group.namespace ?? '',
    workload: group.workload,
    pods: group.members.map((m) => m.target.name),
    unreachablePods: group.members.flatMap((m) =>
      'error' in m.pair ? [{ pod: m.target.name, error: m.pair.error }] : [],
    ),
  };
}

/** Notes under a table: each unreachable proxy, and meshed pods that were not scraped. */
export function originNotes(origin: ReportOrigin, error: string | undefined): string[] {
  if ('admin' in origin)
    return error === undefined ? [] : [`${origin.workload}: proxy admin ${origin.admin} unreachable (${error})`];
  return origin.unreachablePods.map(
    (p) => `${origin.namespace}/${origin.workload}: the proxy of pod ${p.pod} is unreachable (${p.error})`,
  );
}

/** Notes for meshed pods that were not scraped. */
export function skippedNotes(list: ProxyList): string[] {
  return list.skipped.map((s) => `${s.namespace ?? ''}/${s.workload}: pod ${s.name} not scraped (${s.reason})`);
}
