// WorkloadIdentity: the proxy's side of identity. It makes a P-256 key that never leaves the
// process, builds the CSR once, calls Certify with the service-account token, checks what comes
// back, and renews before expiry; each new certificate goes to subscribers so TLS contexts swap
// without dropping connections.
//
// Contract:
// - start() makes the key and begins certifying; it does not wait for success (readiness does).
// - Renewal is scheduled at 70 % of the time left on the current certificate, clamped to
//   [minRefreshMs, maxRefreshMs]. A failed attempt is retried with exponential backoff (starting at
//   minRefreshMs) but never later than 70 % of what is left, and the old certificate stays in use
//   while it is valid.
// - A response is accepted only when the leaf chains to the trust anchors through the returned
//   intermediates, carries exactly our identity as DNS SAN, holds our public key and is valid now.
// - close() cancels the timer; an attempt in flight finishes but publishes nothing.

import { causeChain } from '../../src/errors/index.ts';
import type { Logger } from '../../src/log/index.ts';
import { type Registry, createIdentityCertMetrics, type IdentityCertMetrics } from '../../src/metrics/index.ts';
import { Backoff, systemClock, type Clock, type TimerHandle } from '../../src/time/index.ts';
import {
  certificatesToPem,
  createCsr,
  exportPrivateKeyPem,
  exportPublicKeySpki,
  generateP256KeyPair,
  peerIdentity,
  type TrustBundle,
} from '../../src/tls/index.ts';
import { X509Certificate } from 'node:crypto';
import { CertificateRejectedError } from './errors.ts';

/** What a Certify call returns (the gRPC client adapts CertifyResponse to this). */
export interface CertifyResult {
  readonly leaf: Uint8Array;
  readonly intermediates: readonly Uint8Array[];
  readonly validUntil: Date;
}

/** The call to the identity service, behind an interface so tests use a fake. */
export interface CertifyClient {
  certify(req: { identity: string; token: Uint8Array; csr: Uint8Array }): Promise<CertifyResult>;
}

export interface WorkloadCertificate {
  readonly identity: string;
  /** Leaf then intermediates, PEM: the `cert` option of node:tls. */
  readonly chainPem: string;
  /** The private key, PKCS#8 PEM: the `key` option of node:tls. Never leaves the process. */
  readonly keyPem: string;
  readonly leaf: X509Certificate;
  readonly validUntil: Date;
}

export interface WorkloadIdentityOptions {
  readonly identity: string;
  readonly trust: TrustBundle;
  readonly client: CertifyClient;
  /** Reads the current service-account token (projected tokens rotate: read it every time). */
  readonly readToken: () => Promise<Uint8Array>;
  readonly log: Logger;
  readonly registry: Registry;
  readonly minRefreshMs?: number;
  readonly maxRefreshMs?: number;
  readonly clock?: Clock;
}

export type CertificateListener = (cert: WorkloadCertificate) => void;

export class WorkloadIdentity {
  readonly identity: string;
  readonly #opts: WorkloadIdentityOptions;
  readonly #clock: Clock;
  readonly #minMs: number;
  readonly #maxMs: number;
  readonly #metrics: IdentityCertMetrics;
  readonly #listeners = new Set<CertificateListener>();
  readonly #backoff: Backoff;
  #keyPem = '';
  #spki: Buffer | undefined;
  #csr: Buffer | undefined;
  #current: WorkloadCertificate | undefined;
  #timer: TimerHandle | undefined;
  #closed = false;
  #lastError: string | undefined;

  constructor(opts: WorkloadIdentityOptions) {
    this.identity = opts.identity;
    this.#opts = opts;
    this.#clock = opts.clock ?? systemClock;
    this.#minMs = opts.minRefreshMs ?? 10_000;
    this.#maxMs = opts.maxRefreshMs ?? 24 * 3600_000;
    this.#metrics = createIdentityCertMetrics(opts.registry);
    this.#backoff = new Backoff({
      minMs: this.#minMs,
      maxMs: Math.max(this.#minMs, Math.min(this.#maxMs, 5 * 60_000)),
    });
  }

  /** The certificate in use, if one is valid now. */
  get current(): WorkloadCertificate | undefined {
    const cert = this.#current;
    return cert !== undefined && cert.validUntil.getTime() > this.#clock.now() ? cert : undefined;
  }

  /** Why there is no valid certificate, for /ready. */
  get notReadyReason(): string | undefined {
    if (this.current !== undefined) return undefined;
    if (this.#current !== undefined)
      return `the identity certificate expired at ${this.#current.validUntil.toISOString()}`;
    return this.#lastError === undefined
      ? 'waiting for the first certificate'
      : `not certified yet: ${this.#lastError}`;
  }

  /** Calls `listener` with every new certificate (and at once with the current one). */
  subscribe(listener: CertificateListener): () => void {
    this.#listeners.add(listener);
    if (this.#current !== undefined) listener(this.#current);
    return () => this.#listeners.delete(listener);
  }

  async start(): Promise<void> {
    const { privateKey } = await generateP256KeyPair();
    this.#keyPem = exportPrivateKeyPem(privateKey);
    this.#spki = exportPublicKeySpki(privateKey);
    this.#csr = createCsr({ identity: this.identity, privateKey });
    this.#schedule(0);
  }

  close(): void {
    this.#closed = true;
    this.#timer?.cancel();
  }

  /** One Certify attempt now (also what the timer runs). Resolves true when a certificate was installed. */
  async refresh(): Promise<boolean> {
    if (this.#csr === undefined || this.#closed) return false;
    const log = this.#opts.log;
    try {
      const token = await this.#opts.readToken();
      const result = await this.#opts.client.certify({ identity: this.identity, token, csr: this.#csr });
      if (this.#closed) return false;
      const cert = this.#accept(result);
      const renewed = this.#current !== undefined;
      this.#current = cert;
      this.#lastError = undefined;
      this.#backoff.reset();
      this.#metrics.expirationTimestampSeconds.set(cert.validUntil.getTime() / 1000);
      if (renewed) this.#metrics.refreshCount.inc();
      log.info(
        { identity: this.identity, validUntil: cert.validUntil.toISOString() },
        renewed ? 'identity certificate renewed' : 'identity certified',
      );
      for (const listener of this.#listeners) listener(cert);
      this.#schedule(this.#renewDelay(cert));
      return true;
    } catch (err) {
      if (this.#closed) return false;
      this.#metrics.refreshFailures.inc();
      this.#lastError = causeChain(err).join(': ');
      const delay = this.#retryDelay();
      log.warn(
        {
          err,
          identity: this.identity,
          retryInMs: Math.round(delay),
          keeping: this.current?.validUntil.toISOString() ?? null,
        },
        'certify failed',
      );
      this.#schedule(delay);
      return false;
    }
  }

  #accept(result: CertifyResult): WorkloadCertificate {
    const now = new Date(this.#clock.now());
    let leaf: X509Certificate;
    try {
      leaf = new X509Certificate(result.leaf);
      this.#opts.trust.verifyChain(result.leaf, result.intermediates, now);
    } catch (err) {
      throw new CertificateRejectedError(
        'the identity service returned a certificate that does not chain to the trust anchors',
        { cause: err },
      );
    }
    const names = peerIdentity(leaf).dnsNames;
    if (names.length !== 1 || names[0] !== this.identity) {
      throw new CertificateRejectedError(
        `the identity service returned a certificate for ${names.join(', ') || 'no name'}, not ${this.identity}`,
      );
    }
    const leafKey = leaf.publicKey.export({ type: 'spki', format: 'der' });
    if (this.#spki === undefined || !leafKey.equals(this.#spki)) {
      throw new CertificateRejectedError('the identity service returned a certificate for another key than ours');
    }
    return {
      identity: this.identity,
      chainPem: certificatesToPem([result.leaf, ...result.intermediates]),
      keyPem: this.#keyPem,
      leaf,
      validUntil: new Date(leaf.validTo),
    };
  }

  #renewDelay(cert: WorkloadCertificate): number {
    const left = cert.validUntil.getTime() - this.#clock.now();
    return Math.min(this.#maxMs, Math.max(this.#minMs, left * 0.7));
  }

  #retryDelay(): number {
    const backoff = this.#backoff.next();
    const current = this.current;
    if (current === undefined) return backoff;
    // Never wait past 70 % of what is left on the certificate still in use.
    const left = current.validUntil.getTime() - this.#clock.now();
    return Math.max(Math.min(backoff, left * 0.7), Math.min(this.#minMs, left * 0.7), 0);
  }

  #schedule(ms: number): void {
    this.#timer?.cancel();
    if (this.#closed) return;
    this.#timer = this.#clock.setTimer(() => void this.refresh(), ms);
  }
}
