// Logging settings shared by every nodemesh process, parsed from the environment.

import type { SettingsReader } from '../config/index.ts';

export const ENV_LOG_LEVEL = 'NODEMESH_LOG_LEVEL';
export const ENV_LOG_FORMAT = 'NODEMESH_LOG_FORMAT';
export const ENV_TRACE = 'NODEMESH_TRACE';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** `auto`: pretty when stderr is a terminal and pino-pretty is installed, else JSON. */
export const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface LogConfig {
  readonly level: LogLevel;
  readonly format: LogFormat;
  /** Subsystems whose debug output is on regardless of `level` (NODEMESH_TRACE=balancer,resolver). */
  readonly trace: readonly string[];
}

/** Reads the logging settings into `reader` (problems are collected, not thrown). */
export function readLogConfig(reader: SettingsReader): LogConfig {
  const level = reader.oneOf(ENV_LOG_LEVEL, LOG_LEVELS, { default: 'info' });
  const format = reader.oneOf(ENV_LOG_FORMAT, LOG_FORMATS, { default: 'auto' });
  const traceRaw = reader.string(ENV_TRACE, { default: '' });
  const trace: string[] = [];
  for (const name of traceRaw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')) {
    if (/^[a-z][a-z0-9-]*$/.test(name) || name === '*') trace.push(name);
    else {
      reader.problem({
        name: ENV_TRACE,
        value: traceRaw,
        allowed: 'subsystem names (lower case, digits, dashes) or * separated by commas, e.g. balancer,resolver',
      });
      break;
    }
  }
  return { level, format, trace };
}
