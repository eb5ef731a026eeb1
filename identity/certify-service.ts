// CertifyService: the identity service's decision, independent of gRPC. Given a requested
// identity, a service-account token and a CSR, it either issues a leaf or throws a typed error.
//
// Order of checks (cheapest and most local first, so a bad request never costs a TokenReview):
//  1. all three fields present                          → CertifyRequestError
//  2. the identity is a name of this control plane      → CertifyRequestError / IdentityNameError
//  3. an issuer is loaded and its chain is valid now     → IssuerUnavailableError
//  4. the CSR obeys the rules for that identity          → CsrError
//  5. the token is valid (TokenValidator)                → token errors
//  6. the token's service account gives the same name   → IdentityMismatchError
//  7. issue.
// Depends only on TokenValidator and a source of the current Issuer (STYLE.md, identity).

import { Counter, Histogram, type Registry } from '../src/metrics/index.ts';
import type { Logger } from '../src/log/index.ts';
import {
  identityName,
  parseIdentityName,
  verifyCsr,
  type IssuedCertificate,
  type Issuer,
  type MeshDomain,
} from '../src/tls/index.ts';
import { CertifyRequestError, IdentityMismatchError, IssuerUnavailableError } from './errors.ts';
import { rescue } from './rescue.ts';
import type { TokenValidator } from './token-validator.ts';

export interface CertifyRequestFields {
  readonly identity: string;
  readonly token: Uint8Array;
  readonly certificateSigningRequest: Uint8Array;
}

export interface CertifyServiceDependencies {
  readonly issuer: () => Issuer | undefined;
  readonly validator: TokenValidator;
  readonly domain: MeshDomain;
  readonly log: Logger;
  readonly registry: Registry;
}

export class CertifyService {
  readonly #deps: CertifyServiceDependencies;
  readonly #requests: Counter<'outcome'>;
  readonly #latency: Histogram<'outcome'>;

  constructor(deps: CertifyServiceDependencies) {
    this.#deps = deps;
    this.#requests = new Counter({
      name: 'identity_certify_requests_total',
      help: 'Certify requests by outcome: issued, or the error code that refused them.',
      labelNames: ['outcome'],
      registers: [deps.registry],
    });
    this.#latency = new Histogram({
      name: 'identity_certify_duration_seconds',
      help: 'Time to answer a Certify request, token validation included.',
      labelNames: ['outcome'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [deps.registry],
    });
  }

  async certify(req: CertifyRequestFields, signal?: AbortSignal): Promise<IssuedCertificate> {
    const started = performance.now();
    try {
      const issued = await this.#certify(req, signal);
      this.#record('issued', started);
      this.#deps.log.debug(
        { identity: issued.identity, serial: issued.serialNumberHex, validUntil: issued.validUntil.toISOString() },
        'issued certificate',
      );
      return issued;
    } catch (err) {
      const outcome = rescue(err).outcome;
      this.#record(outcome, started);
      if (outcome === 'internal') this.#deps.log.error({ err, identity: req.identity }, 'certify failed unexpectedly');
      else
        this.#deps.log.info(
          { identity: req.identity, code: outcome, reason: err instanceof Error ? err.message : String(err) },
          'certify refused',
        );
      throw err;
    }
  }

  async #certify(req: CertifyRequestFields, signal?: AbortSignal): Promise<IssuedCertificate> {
    const missing = [
      req.identity === '' ? 'identity' : undefined,
      req.token.length === 0 ? 'token' : undefined,
      req.certificateSigningRequest.length === 0 ? 'certificate_signing_request' : undefined,
    ].filter((f) => f !== undefined);
    if (missing.length > 0) {
      throw new CertifyRequestError(
        `the Certify request has no ${missing.join(', ')}; all of identity, token and certificate_signing_request are required`,
      );
    }
    const { domain } = this.#deps;
    const requested = parseIdentityName(req.identity);
    if (requested.controlNamespace !== domain.controlNamespace || requested.trustDomain !== domain.trustDomain) {
      throw new CertifyRequestError(
        `the identity ${JSON.stringify(req.identity)} is not in this control plane's domain: it must end in .serviceaccount.identity.${domain.controlNamespace}.${domain.trustDomain}`,
        { fields: { identity: req.identity } },
      );
    }
    const issuer = this.#deps.issuer();
    if (issuer === undefined) {
      throw new IssuerUnavailableError(
        'no issuer certificate is loaded yet; the identity service cannot sign until a valid issuer is mounted',
      );
    }
    try {
      issuer.checkValid();
    } catch (err) {
      throw new IssuerUnavailableError(`the issuer cannot sign: ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
      });
    }
    const csr = verifyCsr(req.certificateSigningRequest, { identity: req.identity });
    const token = await this.#deps.validator.validate(req.token, signal);
    const tokenIdentity = identityName({ serviceAccount: token.serviceAccount, namespace: token.namespace, ...domain });
    if (tokenIdentity !== req.identity) {
      throw new IdentityMismatchError(
        `the token belongs to service account ${token.namespace}/${token.serviceAccount} (identity ${tokenIdentity}), not to the identity requested, ${req.identity}`,
        { fields: { requested: req.identity, token: tokenIdentity } },
      );
    }
    return issuer.issue(csr);
  }

  #record(outcome: string, started: number): void {
    this.#requests.inc({ outcome });
    this.#latency.observe({ outcome }, (performance.now() - started) / 1000);
  }
}
