// A connection-churn client for a proxy's mTLS port: each request on a new TLS 1.3 connection
// (no session resumption: a full handshake with a client certificate every time), one HTTP/1.1
// request with `Connection: close`, the response read to its end. `concurrency` loops run for
// `durationMs`; the result counts requests (= handshakes) and their latencies (connect to close).
// The client's own handshake work is heavy, so it caps the rate; read the server's CPU per
// connection, not the rate.

import { connect } from 'node:tls';
import type { LoadResult } from './load-tools.ts';
import { round, summarize } from './stats.ts';

export interface TlsChurnOptions {
  readonly host: string;
  readonly port: number;
  /** SNI, and the name the server's certificate must carry. */
  readonly servername: string;
  /** Host header of the request. */
  readonly authority: string;
  readonly certPem: string;
  readonly keyPem: string;
  readonly caPem: string;
  readonly concurrency: number;
  readonly durationMs: number;
}

export async function runTlsChurn(o: TlsChurnOptions): Promise<LoadResult> {
  const request = `GET / HTTP/1.1\r\nhost: ${o.authority}\r\nconnection: close\r\n\r\n`;
  const latencies: number[] = [];
  let errors = 0;
  const end = performance.now() + o.durationMs;
  const once = (): Promise<boolean> =>
    new Promise((resolve) => {
      let response = '';
      let settled = false;
      const done = (ok: boolean): void => {
        if (settled) return;
        settled = true;
        socket.destroy();
        resolve(ok);
      };
      const socket = connect({
        host: o.host,
        port: o.port,
        servername: o.servername,
        cert: o.certPem,
        key: o.keyPem,
        ca: o.caPem,
        minVersion: 'TLSv1.3',
        maxVersion: 'TLSv1.3',
      });
      socket.setEncoding('latin1');
      socket.once('secureConnect', () => socket.write(request));
      socket.on('data', (d: string) => (response += d));
      socket.once('end', () => done(response.startsWith('HTTP/1.1 200')));
      socket.once('close', () => done(response.startsWith('HTTP/1.1 200')));
      socket.once('error', () => done(false));
      socket.setTimeout(10_000, () => done(false));
    });
  const started = performance.now();
  await Promise.all(
    Array.from({ length: o.concurrency }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        if (await once()) latencies.push(performance.now() - t0);
        else errors++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const s = summarize(latencies);
  return {
    requests: latencies.length,
    seconds: round(seconds),
    requestsPerSecond: round(latencies.length / seconds, 1),
    errors,
    latencyMs: { p50: s.p50Ms, p90: s.p90Ms, p99: s.p99Ms, p999: s.p999Ms, mean: s.meanMs },
  };
}
