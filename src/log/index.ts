// Public surface of src/log.
export { createLogger, componentLogger, type Logger, type CreateLoggerOptions } from './logger.ts';
export {
  readLogConfig,
  ENV_LOG_LEVEL,
  ENV_LOG_FORMAT,
  ENV_TRACE,
  LOG_LEVELS,
  LOG_FORMATS,
  type LogConfig,
  type LogLevel,
  type LogFormat,
} from './log-config.ts';
