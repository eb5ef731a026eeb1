// IssuerSource: loads the issuer certificate and key (a mounted Secret) and the trust anchors from
// files, and reloads them when they change, without a restart.
//
// Contract:
// - The issuer folder holds `tls.crt` + `tls.key` (kubernetes.io/tls, cert-manager) or `crt.pem` +
//   `key.pem` (nodemesh.io/tls); the first complete pair wins in that order.
// - start() loads once (a failure is logged and leaves the source without an issuer: Certify then
//   answers UNAVAILABLE) and starts watching the folder and the anchors file (fs.watch, with a poll
//   as a fallback because Secret volumes swap symlinks).
// - A changed set of files that is refused (not a CA, not chained to the anchors, expired, key
//   mismatch, unreadable) is logged with the reason and counted; the previous issuer stays in use.
// - current() never blocks and never throws; close() stops watching.

import { createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Counter, Gauge, type Registry } from '../src/metrics/index.ts';
import { causeChain } from '../src/errors/index.ts';
import type { Logger } from '../src/log/index.ts';
import { TrustBundle, loadIssuerFromPem, type Issuer, type IssuerOptions } from '../src/tls/index.ts';

export const ISSUER_FILE_PAIRS = [
  ['tls.crt', 'tls.key'],
  ['crt.pem', 'key.pem'],
] as const;

export interface IssuerSourceOptions {
  readonly issuerDir: string;
  readonly trustAnchorsFile: string;
  readonly pollIntervalMs: number;
  readonly issuerOptions: IssuerOptions;
  readonly log: Logger;
  readonly registry: Registry;
  readonly now?: () => Date;
  /** Called after each issuer change (the first load included). */
  readonly onChange?: (issuer: Issuer, trust: TrustBundle) => void;
}

export type ReloadResult =
  | { readonly kind: 'loaded'; readonly issuer: Issuer }
  | { readonly kind: 'unchanged' }
  | { readonly kind: 'refused'; readonly reason: string };

interface Loaded {
  readonly issuer: Issuer;
  readonly trust: TrustBundle;
}

export class IssuerSource {
  readonly #opts: IssuerSourceOptions;
  readonly #now: () => Date;
  readonly #reloads: Counter<'result'>;
  #loaded: Loaded | undefined;
  #lastDigest = '';
  #watchers: FSWatcher[] = [];
  #poll: NodeJS.Timeout | undefined;
  #debounce: NodeJS.Timeout | undefined;
  #reloading: Promise<ReloadResult> | undefined;

  constructor(opts: IssuerSourceOptions) {
    this.#opts = opts;
    this.#now = opts.now ?? (() => new Date());
    this.#reloads = new Counter({
      name: 'identity_issuer_reload_total',
      help: 'Issuer loads from disk by result: loaded, or refused (the previous issuer stays in use).',
      labelNames: ['result'],
      registers: [opts.registry],
    });
    const loadedTtl = (): number | undefined => {
      const loaded = this.#loaded;
      return loaded === undefined ? undefined : (loaded.issuer.notAfter.getTime() - this.#now().getTime()) / 1000;
    };
    new Gauge({
      name: 'issuer_cert_ttl_seconds',
      help: 'Seconds until the issuer certificate in use expires (absent while no issuer is loaded).',
      registers: [opts.registry],
      collect() {
        const ttl = loadedTtl();
        if (ttl !== undefined) this.set(ttl);
      },
    });
  }

  /** The issuer in use, if one was ever loaded. */
  current(): Issuer | undefined {
    return this.#loaded?.issuer;
  }

  trustBundle(): TrustBundle | undefined {
    return this.#loaded?.trust;
  }

  async start(): Promise<ReloadResult> {
    const first = await this.reload();
    for (const target of [this.#opts.issuerDir, path.dirname(this.#opts.trustAnchorsFile)]) {
      try {
        const watcher = watch(target, { persistent: false }, () => this.#scheduleReload());
        watcher.on('error', (err) => this.#opts.log.warn({ err, path: target }, 'file watch failed; polling only'));
        this.#watchers.push(watcher);
      } catch (err) {
        this.#opts.log.warn({ err, path: target }, 'cannot watch folder; polling only');
      }
    }
    this.#poll = setInterval(() => this.#scheduleReload(0), this.#opts.pollIntervalMs);
    this.#poll.unref();
    return first;
  }

  close(): void {
    for (const w of this.#watchers) w.close();
    this.#watchers = [];
    clearInterval(this.#poll);
    clearTimeout(this.#debounce);
  }

  /** Reads the files and, when they changed, tries to load them. Concurrent calls share one read. */
  reload(): Promise<ReloadResult> {
    this.#reloading ??= this.#reload().finally(() => (this.#reloading = undefined));
    return this.#reloading;
  }

  #scheduleReload(delayMs = 100): void {
    clearTimeout(this.#debounce);
    this.#debounce = setTimeout(() => void this.reload(), delayMs);
    this.#debounce.unref();
  }

  async #reload(): Promise<ReloadResult> {
    const log = this.#opts.log;
    let files: { anchors: string; cert: string; key: string; certFile: string };
    try {
      files = await this.#readFiles();
    } catch (err) {
      return this.#refuse(err, 'cannot read the issuer files');
    }
    const digest = createHash('sha256')
      .update(files.anchors)
      .update('\0')
      .update(files.cert)
      .update('\0')
      .update(files.key)
      .digest('hex');
    if (digest === this.#lastDigest) return { kind: 'unchanged' };
    this.#lastDigest = digest;
    try {
      const trust = TrustBundle.fromPem(files.anchors, `trust anchors (${this.#opts.trustAnchorsFile})`);
      const issuer = loadIssuerFromPem(
        { certificatePem: files.cert, privateKeyPem: files.key },
        { trustBundle: trust, now: this.#now },
        this.#opts.issuerOptions,
      );
      const previous = this.#loaded?.issuer;
      this.#loaded = { issuer, trust };
      this.#reloads.inc({ result: 'loaded' });
      log.info(
        {
          issuer: issuer.subject,
          notAfter: issuer.notAfter.toISOString(),
          certFile: files.certFile,
          replaced: previous?.subject,
        },
        previous === undefined ? 'issuer loaded' : 'issuer reloaded',
      );
      this.#opts.onChange?.(issuer, trust);
      return { kind: 'loaded', issuer };
    } catch (err) {
      return this.#refuse(err, 'issuer refused');
    }
  }

  #refuse(err: unknown, what: string): ReloadResult {
    const reason = causeChain(err).join(': ');
    this.#reloads.inc({ result: 'refused' });
    const keeping = this.#loaded?.issuer.subject;
    this.#opts.log.error(
      { err, issuerDir: this.#opts.issuerDir, keeping: keeping ?? null },
      keeping === undefined
        ? `${what}; Certify answers UNAVAILABLE until a valid issuer is loaded`
        : `${what}; keeping the previous issuer`,
    );
    return { kind: 'refused', reason };
  }

  async #readFiles(): Promise<{ anchors: string; cert: string; key: string; certFile: string }> {
    const anchors = await readFile(this.#opts.trustAnchorsFile, 'utf8');
    const problems: string[] = [];
    for (const [certName, keyName] of ISSUER_FILE_PAIRS) {
      const certFile = path.join(this.#opts.issuerDir, certName);
      try {
        const [cert, key] = await Promise.all([
          readFile(certFile, 'utf8'),
          readFile(path.join(this.#opts.issuerDir, keyName), 'utf8'),
        ]);
        return { anchors, cert, key, certFile };
      } catch (err) {
        problems.push(`${certName}/${keyName}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
      }
    }
    throw new Error(
      `no issuer certificate and key in ${this.#opts.issuerDir} (${problems.join('; ')}); expected tls.crt + tls.key or crt.pem + key.pem`,
    );
  }
}
