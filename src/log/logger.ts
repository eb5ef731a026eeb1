// Structured logging with pino: one root logger per process, children per component.
//
// JSON lines on stderr by default (stdout is kept for command output). `pretty` uses pino-pretty
// when it is installed (it is a development dependency; the image has JSON only). Components take a
// Logger from their caller and make children with `{ component }`; variable data goes into fields,
// never into the message string.

import { createRequire } from 'node:module';
import type { Writable } from 'node:stream';
import { pino, type Logger, type DestinationStream } from 'pino';
import type { LogConfig } from './log-config.ts';

export type { Logger } from 'pino';

export interface CreateLoggerOptions {
  readonly config: LogConfig;
  /** The process's role: proxy, destination, identity, injector, cli, demo. */
  readonly name: string;
  /** Where lines go; defaults to stderr. Tests pass a collecting stream. */
  readonly destination?: DestinationStream | Writable;
  /** Whether the destination is a terminal (for `auto` format); defaults to stderr's. */
  readonly isTty?: boolean;
}

/** The root logger. Synchronous: pretty output is built in-process (no worker thread). */
export function createLogger(opts: CreateLoggerOptions): Logger {
  const { config } = opts;
  const isTty = opts.isTty ?? process.stderr.isTTY;
  const wantPretty = config.format === 'pretty' || (config.format === 'auto' && isTty);
  const destination = opts.destination ?? pino.destination({ fd: 2, sync: true });
  const pretty = wantPretty ? loadPretty(destination) : undefined;
  const root = pino(
    {
      name: opts.name,
      level: config.level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: pino.stdSerializers.errWithCause },
    },
    pretty ?? destination,
  );
  traceState.set(root, { level: config.level, trace: new Set(config.trace) });
  return root;
}

const traceState = new WeakMap<Logger, { level: string; trace: ReadonlySet<string> }>();

/**
 * A child logger for `component`. Debug records are emitted only when the configured level allows
 * them or the component is named in NODEMESH_TRACE.
 */
export function componentLogger(root: Logger, component: string, fields: Record<string, unknown> = {}): Logger {
  const state = traceState.get(root);
  const child = root.child({ component, ...fields });
  if (state === undefined) return child;
  const traced = state.trace.has(component) || state.trace.has('*');
  // A child's level is its own in pino: a traced subsystem logs debug while its parent stays at info.
  if (traced && pino.levels.values[state.level]! > pino.levels.values.debug!) child.level = 'debug';
  traceState.set(child, state);
  return child;
}

function loadPretty(destination: DestinationStream | Writable): DestinationStream | undefined {
  try {
    const require = createRequire(import.meta.url);
    const pretty = require('pino-pretty') as (opts: Record<string, unknown>) => DestinationStream;
    return pretty({ destination, colorize: true, sync: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' });
  } catch {
    return undefined;
  }
}
