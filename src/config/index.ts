// Public surface of src/config: the env source, the settings reader and duration helpers.
export { type EnvSource, layerEnv } from './env-source.ts';
export { SettingsReader, splitHostPort, parsePortList, type SocketAddress, type HostPort } from './settings-reader.ts';
export { parseDurationMs, formatDurationMs } from './duration.ts';
