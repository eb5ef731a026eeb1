// `nodemesh proxy-await`: poll http://127.0.0.1:PORT/ready until 200, bounded by --timeout
// (Linkerd's linkerd-await). Each attempt has its own 1 s timeout; attempts are 100 ms apart at
// first, backing off to 1 s.
//
// Contract: returns 0 once the proxy answered 200, 1 on timeout or abort, never hangs past the
// timeout by more than one attempt's timeout.

import { request } from 'node:http';
import { parseDurationMs } from '../../config/index.ts';
import { UsageError } from '../../errors/index.ts';
import { parseFlags } from '../args.ts';
import { EXIT_FAILURE, EXIT_OK, type CommandContext, type CommandRunner } from '../command.ts';
import { writeLine } from '../output.ts';

export const DEFAULT_PORT = 4191;
export const DEFAULT_TIMEOUT = '2m';
const ATTEMPT_TIMEOUT_MS = 1000;
const FIRST_DELAY_MS = 100;
const MAX_DELAY_MS = 1000;

export interface ProxyAwaitDeps {
  /** One GET of the URL: its status code, or a rejection. */
  readonly get?: (url: string, timeoutMs: number) => Promise<number>;
  readonly now?: () => number;
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export const runProxyAwait: CommandRunner = (ctx) => createProxyAwaitCommand({})(ctx);

export function createProxyAwaitCommand(deps: ProxyAwaitDeps): CommandRunner {
  const get = deps.get ?? httpGetStatus;
  const now = deps.now ?? (() => performance.now());
  const sleep = deps.sleep ?? sleepFor;
  return async (ctx: CommandContext): Promise<number> => {
    const cmd = 'proxy-await';
    const { values } = parseFlags(cmd, ctx.argv, { port: { type: 'string' }, timeout: { type: 'string' } });
    const port = Number(values.port ?? DEFAULT_PORT);
    if (!Number.isInteger(port) || port < 1 || port > 65_535) {
      throw new UsageError(`${cmd}: --port ${JSON.stringify(values.port)} is not a port number 1-65535`);
    }
    const timeoutText = values.timeout ?? DEFAULT_TIMEOUT;
    const timeoutMs = parseDurationMs(timeoutText);
    if (timeoutMs === undefined || timeoutMs <= 0) {
      throw new UsageError(`${cmd}: --timeout ${JSON.stringify(timeoutText)} is not a duration such as 30s or 2m`);
    }
    const url = `http://127.0.0.1:${port}/ready`;
    const start = now();
    let delay = FIRST_DELAY_MS;
    let last = 'no answer yet';
    for (let attempt = 1; attempt <= 1_000_000; attempt++) {
      if (ctx.signal.aborted) break;
      const left = timeoutMs - (now() - start);
      try {
        const status = await get(url, Math.max(1, Math.min(ATTEMPT_TIMEOUT_MS, left)));
        if (status === 200) {
          const took = ((now() - start) / 1000).toFixed(1);
          writeLine(ctx.stdout, `${cmd}: the proxy is ready (${url} answered 200 after ${took}s)`);
          return EXIT_OK;
        }
        last = `status ${status}`;
      } catch (err) {
        last = err instanceof Error ? err.message : String(err);
      }
      const remaining = timeoutMs - (now() - start);
      if (remaining <= 0) break;
      await sleep(Math.min(delay, remaining), ctx.signal);
      delay = Math.min(delay * 2, MAX_DELAY_MS);
    }
    const reason = ctx.signal.aborted ? 'stopped' : `not ready after ${timeoutText}`;
    writeLine(ctx.stderr, `${cmd}: the proxy at ${url} is ${reason}; last answer: ${last}`);
    return EXIT_FAILURE;
  };
}

function httpGetStatus(url: string, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

function sleepFor(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
