// The arguments of `nodemesh tap`, checked before anything is contacted, and the /tap query they
// make (the proxy checks it again: ADR 0013, "Tap").
//
// Contract: parseTapArgs throws UsageError naming the flag at fault and what is allowed.

import { parseDurationMs } from '../../config/index.ts';
import { UsageError } from '../../errors/index.ts';
import { parseFlags } from '../args.ts';

export const TAP_OUTPUTS = ['wide', 'json'] as const;
/** `line`: the default, one line per request. */
export type TapOutput = 'line' | (typeof TAP_OUTPUTS)[number];

export interface TapArgs {
  readonly workload: string;
  /** The GET /tap query parameters, in a stable order. */
  readonly query: readonly (readonly [string, string])[];
  readonly durationMs: number | undefined;
  readonly stateDir: string | undefined;
  readonly output: TapOutput;
  /** With --kubernetes: the kubeconfig context and namespace (undefined: the context's). */
  readonly kubernetes: { readonly context: string | undefined; readonly namespace: string | undefined } | undefined;
}

const FLAGS = {
  direction: { type: 'string' },
  authority: { type: 'string' },
  path: { type: 'string' },
  method: { type: 'string' },
  limit: { type: 'string' },
  rate: { type: 'string' },
  duration: { type: 'string' },
  'state-dir': { type: 'string' },
  output: { type: 'string', short: 'o' },
  kubernetes: { type: 'boolean', short: 'k' },
  context: { type: 'string' },
  namespace: { type: 'string', short: 'n' },
} as const;

const CMD = 'tap';

export function parseTapArgs(argv: readonly string[]): TapArgs {
  const { values, positionals } = parseFlags(CMD, argv, FLAGS, true);
  if (positionals.length === 0) throw new UsageError(`${CMD}: name the workload to tap, e.g. nodemesh tap web-0`);
  if (positionals.length > 1) throw new UsageError(`${CMD}: unexpected argument ${JSON.stringify(positionals[1])}`);
  const workload = positionals[0] ?? '';
  let kubernetes: TapArgs['kubernetes'];
  if (values.kubernetes === true) {
    if (values['state-dir'] !== undefined) {
      throw new UsageError(`${CMD}: --state-dir is for the local mesh; it does not go with --kubernetes`);
    }
    if (values.namespace === '') throw new UsageError(`${CMD}: --namespace needs a namespace name`);
    kubernetes = { context: values.context, namespace: values.namespace };
  } else {
    for (const flag of ['context', 'namespace'] as const) {
      if (values[flag] !== undefined) throw new UsageError(`${CMD}: --${flag} applies only with --kubernetes (-k)`);
    }
  }

  const query: [string, string][] = [];
  const direction = values.direction;
  if (direction !== undefined) {
    if (direction !== 'inbound' && direction !== 'outbound') {
      throw new UsageError(
        `${CMD}: --direction ${JSON.stringify(direction)} is not allowed; allowed: inbound, outbound`,
      );
    }
    query.push(['direction', direction]);
  }
  if (values.authority !== undefined) {
    if (!/^[\x21-\x7e]+$/.test(values.authority)) {
      throw new UsageError(`${CMD}: --authority ${JSON.stringify(values.authority)} is not a host[:port]`);
    }
    query.push(['authority', values.authority]);
  }
  if (values.path !== undefined) {
    if (!values.path.startsWith('/')) {
      throw new UsageError(
        `${CMD}: --path ${JSON.stringify(values.path)} is not allowed; allowed: a prefix starting with /`,
      );
    }
    query.push(['path', values.path]);
  }
  if (values.method !== undefined) {
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,32}$/.test(values.method)) {
      throw new UsageError(`${CMD}: --method ${JSON.stringify(values.method)} is not an HTTP method`);
    }
    query.push(['method', values.method.toUpperCase()]);
  }
  for (const flag of ['limit', 'rate'] as const) {
    const text = values[flag];
    if (text === undefined) continue;
    if (!/^\d{1,9}$/.test(text) || Number(text) < 1) {
      throw new UsageError(`${CMD}: --${flag} ${JSON.stringify(text)} is not allowed; allowed: a whole number from 1`);
    }
    query.push([flag, String(Number(text))]);
  }
  let durationMs: number | undefined;
  if (values.duration !== undefined) {
    durationMs = parseDurationMs(values.duration);
    if (durationMs === undefined || durationMs <= 0) {
      throw new UsageError(
        `${CMD}: --duration ${JSON.stringify(values.duration)} is not a positive duration; allowed: a number with units, e.g. 30s or 2m`,
      );
    }
  }
  const output = values.output;
  if (output !== undefined && !(TAP_OUTPUTS as readonly string[]).includes(output)) {
    throw new UsageError(
      `${CMD}: -o ${JSON.stringify(output)} is not an output format; allowed: ${TAP_OUTPUTS.join(', ')}`,
    );
  }
  return {
    workload,
    query,
    durationMs,
    stateDir: values['state-dir'],
    output: (output as TapOutput | undefined) ?? 'line',
    kubernetes,
  };
}

/** The path and query of GET /tap for these arguments. */
export function tapPath(args: Pick<TapArgs, 'query'>): string {
  const params = new URLSearchParams();
  for (const [name, value] of args.query) params.append(name, value);
  const text = params.toString();
  return text === '' ? '/tap' : `/tap?${text}`;
}
