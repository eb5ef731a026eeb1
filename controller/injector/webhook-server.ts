// The injector's HTTPS server: the API server POSTs AdmissionReviews to it (`/` for the mutating
// webhook, `/validate` for the validating one) and reads back the answer.
//
// Contract: one JSON body of at most 10 MiB per request (413 above, as Linkerd limits it), JSON
// content only (415 otherwise), POST only (405). A handler's answer goes back as 200 JSON; a
// handler error whose code is in `badRequestCodes` becomes 400 with its message (the review itself
// was malformed), any other error 500 — both logged with fields and counted. The TLS certificate
// and key are files (a mounted Secret) checked every `reloadIntervalMs`: a changed pair is loaded
// without a restart, and a pair that does not load is logged and the served one kept.

import { readFile, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSecureContext } from 'node:tls';
import { Counter, type Registry } from '../../src/metrics/index.ts';
import { MeshError, type ErrorCode } from '../../src/errors/index.ts';
import type { Logger } from '../../src/log/index.ts';
import type { SocketAddress } from '../../src/config/index.ts';
import { systemClock, type Clock, type TimerHandle } from '../../src/time/index.ts';

export const MAX_REVIEW_BYTES = 10 * 1024 * 1024;

/** Answers one AdmissionReview (the parsed JSON body) with the AdmissionReview to send back. */
export type ReviewHandler = (body: unknown) => Promise<unknown>;

export interface WebhookTlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

export interface WebhookServerOptions {
  readonly address: SocketAddress;
  readonly tls: WebhookTlsFiles;
  /** Handlers by exact path, e.g. `{ '/': inject, '/validate': validate }`. */
  readonly routes: Readonly<Record<string, { readonly name: string; readonly handle: ReviewHandler }>>;
  /** Error codes that mean "the review was malformed" (400) rather than "we failed" (500). */
  readonly badRequestCodes: readonly ErrorCode[];
  readonly registry: Registry;
  readonly log: Logger;
  /** How often the certificate files are checked for a change (default 10 s). */
  readonly reloadIntervalMs?: number;
  readonly clock?: Clock;
}

export class WebhookServer {
  readonly #opts: WebhookServerOptions;
  readonly #reviews: Counter<'webhook' | 'result'>;
  readonly #clock: Clock;
  #server: Server | undefined;
  #served: { certMtimeMs: number; keyMtimeMs: number } | undefined;
  #reloadTimer: TimerHandle | undefined;

  constructor(opts: WebhookServerOptions) {
    this.#opts = opts;
    this.#clock = opts.clock ?? systemClock;
    this.#reviews = new Counter({
      name: 'injector_admission_reviews_total',
      help: 'AdmissionReviews answered, by webhook and result (patched, allowed, denied, bad_request, error)',
      labelNames: ['webhook', 'result'],
      registers: [opts.registry],
    });
  }

  /** Loads the certificate and listens; resolves with the bound address. */
  async start(): Promise<SocketAddress> {
    const { cert, key, stamp } = await this.#loadTls();
    const server = createServer({ cert, key, minVersion: 'TLSv1.2' }, (req, res) => void this.#handle(req, res));
    server.keepAliveTimeout = 30_000;
    server.headersTimeout = 10_000;
    server.requestTimeout = 30_000;
    this.#server = server;
    this.#served = stamp;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#opts.address.port, this.#opts.address.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.#scheduleReload();
    const bound = server.address() as AddressInfo;
    return { host: this.#opts.address.host, port: bound.port };
  }

  async close(): Promise<void> {
    this.#reloadTimer?.cancel();
    this.#reloadTimer = undefined;
    const server = this.#server;
    this.#server = undefined;
    if (server === undefined) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  /** Checks the certificate files now; true when a new pair was loaded. (Also runs on a timer.) */
  async reloadIfChanged(): Promise<boolean> {
    const server = this.#server;
    if (server === undefined) return false;
    try {
      const [cert, key] = await Promise.all([stat(this.#opts.tls.certFile), stat(this.#opts.tls.keyFile)]);
      if (this.#served?.certMtimeMs === cert.mtimeMs && this.#served.keyMtimeMs === key.mtimeMs) return false;
      const loaded = await this.#loadTls();
      server.setSecureContext({ cert: loaded.cert, key: loaded.key });
      this.#served = loaded.stamp;
      this.#opts.log.info({ certFile: this.#opts.tls.certFile }, 'webhook certificate reloaded');
      return true;
    } catch (err) {
      this.#opts.log.error(
        { err, certFile: this.#opts.tls.certFile, keyFile: this.#opts.tls.keyFile },
        'webhook certificate could not be reloaded; still serving the previous one',
      );
      return false;
    }
  }

  #scheduleReload(): void {
    this.#reloadTimer = this.#clock.setTimer(() => {
      void this.reloadIfChanged().finally(() => {
        if (this.#server !== undefined) this.#scheduleReload();
      });
    }, this.#opts.reloadIntervalMs ?? 10_000);
  }

  async #loadTls(): Promise<{ cert: Buffer; key: Buffer; stamp: { certMtimeMs: number; keyMtimeMs: number } }> {
    const { certFile, keyFile } = this.#opts.tls;
    const [certStat, keyStat] = await Promise.all([stat(certFile), stat(keyFile)]);
    const [cert, key] = await Promise.all([readFile(certFile), readFile(keyFile)]);
    // Throws with OpenSSL's reason when the pair is unusable (bad PEM, key not matching the cert).
    createSecureContext({ cert, key });
    return { cert, key, stamp: { certMtimeMs: certStat.mtimeMs, keyMtimeMs: keyStat.mtimeMs } };
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://injector.invalid');
    const route = this.#opts.routes[url.pathname];
    if (route === undefined) {
      reply(res, 404, {
        message: `no webhook at ${url.pathname}; the webhooks are ${Object.keys(this.#opts.routes).join(', ')}`,
      });
      return;
    }
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      reply(res, 405, { message: `${route.name} webhook: AdmissionReviews are POSTed, not ${String(req.method)}` });
      return;
    }
    const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/json') {
      this.#reviews.inc({ webhook: route.name, result: 'bad_request' });
      reply(res, 415, {
        message: `${route.name} webhook: content-type must be application/json, got ${JSON.stringify(type)}`,
      });
      return;
    }
    const declared = Number(req.headers['content-length'] ?? '0');
    if (declared > MAX_REVIEW_BYTES) {
      this.#reviews.inc({ webhook: route.name, result: 'bad_request' });
      reply(res, 413, {
        message: `${route.name} webhook: body of ${declared} bytes is over the ${MAX_REVIEW_BYTES}-byte limit`,
      });
      req.resume();
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(await readLimited(req, MAX_REVIEW_BYTES));
    } catch (err) {
      this.#reviews.inc({ webhook: route.name, result: 'bad_request' });
      const tooLarge = err instanceof BodyTooLargeError;
      const message = `${route.name} webhook: ${tooLarge ? err.message : `body is not JSON (${err instanceof Error ? err.message : String(err)})`}`;
      this.#opts.log.warn({ webhook: route.name, remote: req.socket.remoteAddress }, message);
      reply(res, tooLarge ? 413 : 400, { message });
      return;
    }
    try {
      const answer = await route.handle(body);
      this.#reviews.inc({ webhook: route.name, result: resultOf(answer) });
      reply(res, 200, answer);
    } catch (err) {
      const bad = err instanceof MeshError && this.#opts.badRequestCodes.includes(err.code);
      this.#reviews.inc({ webhook: route.name, result: bad ? 'bad_request' : 'error' });
      if (bad) this.#opts.log.warn({ webhook: route.name, err }, 'malformed AdmissionReview refused');
      else this.#opts.log.error({ webhook: route.name, err }, 'AdmissionReview failed');
      const message = err instanceof Error ? err.message : String(err);
      reply(res, bad ? 400 : 500, { message: `${route.name} webhook: ${message}` });
    }
  }
}

class BodyTooLargeError extends Error {}

async function readLimited(req: IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      req.destroy();
      throw new BodyTooLargeError(`body is over the ${limit}-byte limit`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** `patched`, `allowed` or `denied`, read off the AdmissionReview answer. */
function resultOf(answer: unknown): string {
  const response = (answer as { response?: { allowed?: unknown; patch?: unknown } } | undefined)?.response;
  if (response?.allowed !== true) return 'denied';
  return typeof response.patch === 'string' && response.patch.length > 0 ? 'patched' : 'allowed';
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
