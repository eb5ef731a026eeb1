// The base of every error nodemesh raises on purpose.
//
// Contract: each failure kind is its own subclass with a stable `code` (`MESH_ERR_…`, listed in
// `codes.ts` and documented in docs/errors.md). Errors carry their `cause` when they wrap another
// error, and `fields` with structured context for logs. Nothing below the edge turns an error into
// an HTTP or gRPC status: only the servers' rescue functions do that, by looking at `code`.

import type { ErrorCode } from './codes.ts';

export interface MeshErrorOptions {
  /** The error this one wraps, if any. */
  readonly cause?: unknown;
  /** Structured context (names, addresses, values) for logs; never secrets. */
  readonly fields?: Readonly<Record<string, unknown>>;
}

export class MeshError extends Error {
  readonly code: ErrorCode;
  readonly fields: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, options: MeshErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.fields = Object.freeze({ ...options.fields });
  }

  /** A plain object for structured logs: code, message, fields and the chain of causes. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      ...(Object.keys(this.fields).length > 0 ? { fields: this.fields } : {}),
      ...(this.cause === undefined ? {} : { cause: describeCause(this.cause) }),
    };
  }
}

/** True when `err` is a MeshError carrying `code`. */
export function hasCode<C extends ErrorCode>(err: unknown, code: C): err is MeshError & { readonly code: C } {
  return err instanceof MeshError && err.code === code;
}

/** The chain of messages from `err` down through its causes, outermost first. */
export function causeChain(err: unknown): string[] {
  const chain: string[] = [];
  let current: unknown = err;
  for (let depth = 0; current !== undefined && depth < 16; depth++) {
    chain.push(current instanceof Error ? current.message : describeValue(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return chain;
}

function describeCause(cause: unknown): unknown {
  if (cause instanceof MeshError) return cause.toJSON();
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return { name: cause.name, message: cause.message, ...(code === undefined ? {} : { code }) };
  }
  return describeValue(cause);
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? typeof value;
  } catch {
    return typeof value;
  }
}
