// The failure kinds of writing firewall rules (proxy-init, and later the CNI plugin).
//
// Contract: each names the command line that failed; `fields` carries the argv, exit code and
// stderr for logs.

import { MeshError, type MeshErrorOptions } from '../../src/errors/index.ts';

/** An iptables binary (or nsenter) is not installed or not on PATH. */
export class FirewallBinaryMissingError extends MeshError {
  constructor(message: string, options?: MeshErrorOptions) {
    super('MESH_ERR_FIREWALL_BINARY_MISSING', message, options);
  }
}

/** The kernel refused: the process lacks NET_ADMIN / NET_RAW (or cannot take the xtables lock). */
export class FirewallPermissionError extends MeshError {
  constructor(message: string, options?: MeshErrorOptions) {
    super('MESH_ERR_FIREWALL_PERMISSION', message, options);
  }
}

/** An iptables command failed, timed out, or left the rules other than intended. */
export class FirewallCommandError extends MeshError {
  constructor(message: string, options?: MeshErrorOptions) {
    super('MESH_ERR_FIREWALL_COMMAND', message, options);
  }
}
