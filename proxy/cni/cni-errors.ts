// The CNI plugin's errors, as the CNI specification (1.0, "Error") returns them: a numeric code,
// a message and details, printed as JSON on stdout with exit status 1. Codes 1-99 are the
// specification's; 100 and above are this plugin's own, stable and listed in docs/cni.md.

export const CNI_ERROR = {
  incompatibleVersion: 1,
  unsupportedField: 2,
  unknownContainer: 3,
  invalidEnvironment: 4,
  io: 5,
  decode: 6,
  invalidConfig: 7,
  tryAgainLater: 11,
  /** The pod could not be read from the Kubernetes API. */
  podLookup: 100,
  /** Writing, removing or reading the iptables rules failed. */
  firewall: 101,
  /** CHECK found the rules differ from what ADD wrote. */
  rulesDiffer: 102,
  /** A config.nodemesh.io/* annotation of the pod is not valid. */
  podAnnotation: 103,
} as const;

export type CniErrorCode = (typeof CNI_ERROR)[keyof typeof CNI_ERROR];

export class CniError extends Error {
  override readonly name = 'CniError';
  readonly code: CniErrorCode;
  readonly details: string;

  constructor(code: CniErrorCode, message: string, details = '', options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.details = details;
  }

  /** The error object of the specification. */
  toResult(cniVersion: string): { cniVersion: string; code: number; msg: string; details?: string } {
    return {
      cniVersion,
      code: this.code,
      msg: this.message,
      ...(this.details === '' ? {} : { details: this.details }),
    };
  }
}
