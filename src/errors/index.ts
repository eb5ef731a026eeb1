// Public surface of src/errors: the base class, the codes, and the shared error kinds.
export { MeshError, hasCode, causeChain, type MeshErrorOptions } from './mesh-error.ts';
export { ERROR_CODES, type ErrorCode } from './codes.ts';
export { ConfigError, type ConfigProblem } from './config-error.ts';
export { UsageError, InternalError, ProtobufDecodeError, TransportHeaderError } from './kinds.ts';
