// ServingIdentity: the identity service's own TLS certificate, issued by its own issuer for the
// name nodemesh-identity.<ns>.serviceaccount.identity.<ns>.<trust-domain>, and handed to grpc-js
// as a certificate provider so the server's TLS context changes without a restart.
//
// Contract: init() makes the key (it never leaves the process) and the CSR once. refresh() issues
// a new certificate from the given issuer and pushes it to every listener; it is called on each
// issuer change and, through a timer, at 70 % of the certificate's lifetime. close() stops the
// timer. The same object serves as grpc-js's identity and CA provider (the CA is the trust bundle).

import type { KeyObject } from 'node:crypto';
import type { experimental } from '@grpc/grpc-js';
import type { Logger } from '../src/log/index.ts';
import {
  certificatesToPem,
  createCsr,
  exportPrivateKeyPem,
  generateP256KeyPair,
  type IssuedCertificate,
  type Issuer,
  type TrustBundle,
} from '../src/tls/index.ts';

export interface ServingIdentityOptions {
  readonly name: string;
  readonly log: Logger;
  readonly now?: () => number;
}

export class ServingIdentity implements experimental.CertificateProvider {
  readonly name: string;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #caListeners = new Set<experimental.CaCertificateUpdateListener>();
  readonly #identityListeners = new Set<experimental.IdentityCertificateUpdateListener>();
  #key: KeyObject | undefined;
  #keyPem = '';
  #csr: Buffer | undefined;
  #current: { issued: IssuedCertificate; chainPem: string; trustPem: string } | undefined;
  #timer: NodeJS.Timeout | undefined;
  #issuer: (() => { issuer: Issuer; trust: TrustBundle } | undefined) | undefined;

  constructor(opts: ServingIdentityOptions) {
    this.name = opts.name;
    this.#log = opts.log;
    this.#now = opts.now ?? Date.now;
  }

  async init(source: () => { issuer: Issuer; trust: TrustBundle } | undefined): Promise<void> {
    const { privateKey } = await generateP256KeyPair();
    this.#key = privateKey;
    this.#keyPem = exportPrivateKeyPem(privateKey);
    this.#csr = createCsr({ identity: this.name, privateKey });
    this.#issuer = source;
  }

  /** The certificate in use, if any. */
  get current(): IssuedCertificate | undefined {
    return this.#current?.issued;
  }

  refresh(): void {
    const loaded = this.#issuer?.();
    if (loaded === undefined || this.#csr === undefined || this.#key === undefined) return;
    try {
      const issued = loaded.issuer.issueFromCsr(this.#csr, this.name);
      this.#current = {
        issued,
        chainPem: certificatesToPem([issued.leaf, ...issued.intermediates]),
        trustPem: loaded.trust.pem,
      };
      this.#log.info(
        { identity: this.name, validUntil: issued.validUntil.toISOString() },
        'serving certificate issued',
      );
      this.#push();
      this.#schedule(issued);
    } catch (err) {
      this.#log.error({ err, identity: this.name }, 'cannot issue the serving certificate; keeping the previous one');
      this.#scheduleRetry();
    }
  }

  close(): void {
    clearTimeout(this.#timer);
  }

  addCaCertificateListener(listener: experimental.CaCertificateUpdateListener): void {
    this.#caListeners.add(listener);
    // grpc-js registers its own watcher only after adding listeners, so the current value must
    // arrive asynchronously or it is lost (the server would then drop every connection).
    queueMicrotask(() => {
      if (this.#current !== undefined && this.#caListeners.has(listener)) {
        listener({ caCertificate: Buffer.from(this.#current.trustPem) });
      }
    });
  }

  removeCaCertificateListener(listener: experimental.CaCertificateUpdateListener): void {
    this.#caListeners.delete(listener);
  }

  addIdentityCertificateListener(listener: experimental.IdentityCertificateUpdateListener): void {
    this.#identityListeners.add(listener);
    queueMicrotask(() => {
      if (this.#current !== undefined && this.#identityListeners.has(listener)) {
        listener({ certificate: Buffer.from(this.#current.chainPem), privateKey: Buffer.from(this.#keyPem) });
      }
    });
  }

  removeIdentityCertificateListener(listener: experimental.IdentityCertificateUpdateListener): void {
    this.#identityListeners.delete(listener);
  }

  #push(): void {
    const current = this.#current;
    if (current === undefined) return;
    for (const l of this.#caListeners) l({ caCertificate: Buffer.from(current.trustPem) });
    for (const l of this.#identityListeners) {
      l({ certificate: Buffer.from(current.chainPem), privateKey: Buffer.from(this.#keyPem) });
    }
  }

  #schedule(issued: IssuedCertificate): void {
    clearTimeout(this.#timer);
    const remaining = issued.validUntil.getTime() - this.#now();
    const delay = Math.min(Math.max(remaining * 0.7, 10_000), 2 ** 31 - 1);
    this.#timer = setTimeout(() => this.refresh(), delay);
    this.#timer.unref();
  }

  #scheduleRetry(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.refresh(), 10_000);
    this.#timer.unref();
  }
}
