// The client side of GET /tap: open the stream on a proxy's control address and hand its lines
// over as they arrive (ADR 0013, "Tap").
//
// Contract: openTapStream never throws: it answers the open stream, the proxy's refusal (its
// HTTP status and the reason from its JSON answer), or why nothing answered. An open stream's
// read() resolves 'ended' when the proxy ended it, 'closed' when the connection went away first
// (the signal aborted, or the proxy died).

import http, { type IncomingMessage } from 'node:http';
import { reasonOf } from '../stat/mesh-state.ts';

export type TapOpened =
  | {
      readonly kind: 'open';
      /** The rate the proxy applies (the nodemesh-tap-rate header). */
      readonly rate: string | undefined;
      read(onLine: (text: string) => void): Promise<'ended' | 'closed'>;
    }
  | { readonly kind: 'refused'; readonly status: number; readonly reason: string }
  | { readonly kind: 'unreachable'; readonly reason: string };

const ANSWER_TIMEOUT_MS = 5000;
const MAX_REFUSAL_BYTES = 64 * 1024;

export function openTapStream(url: URL, signal: AbortSignal): Promise<TapOpened> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, signal, headers: { accept: 'application/x-ndjson' } });
    const timer = setTimeout(
      () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })),
      ANSWER_TIMEOUT_MS,
    );
    req.on('error', (err) => {
      clearTimeout(timer);
      resolve({ kind: 'unreachable', reason: reasonOf(err) });
    });
    req.on('response', (res) => {
      clearTimeout(timer);
      res.on('error', () => undefined);
      if (res.statusCode !== 200) {
        void refusal(res).then((reason) => resolve({ kind: 'refused', status: res.statusCode ?? 0, reason }));
        return;
      }
      const rate = res.headers['nodemesh-tap-rate'];
      resolve({
        kind: 'open',
        rate: typeof rate === 'string' ? rate : undefined,
        read: (onLine) => readLines(res, onLine),
      });
    });
  });
}

function readLines(res: IncomingMessage, onLine: (text: string) => void): Promise<'ended' | 'closed'> {
  return new Promise((resolve) => {
    let pending = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      pending += chunk;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl).trim();
        pending = pending.slice(nl + 1);
        if (line !== '') onLine(line);
      }
    });
    res.once('end', () => resolve('ended'));
    res.once('close', () => resolve(res.complete ? 'ended' : 'closed'));
  });
}

/** The reason in a refusal: the JSON answer's `reason`, else its text. */
async function refusal(res: IncomingMessage): Promise<string> {
  let body = '';
  res.setEncoding('utf8');
  try {
    for await (const chunk of res) {
      body += chunk as string;
      if (body.length > MAX_REFUSAL_BYTES) break;
    }
  } catch {
    // what arrived is all there is
  }
  try {
    const parsed = JSON.parse(body) as { reason?: unknown };
    if (typeof parsed.reason === 'string') return parsed.reason;
  } catch {
    // not JSON
  }
  return body.trim() === '' ? `HTTP ${res.statusCode ?? 0}` : body.trim().slice(0, 500);
}
