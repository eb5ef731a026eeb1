// `nodemesh demo` (what `npm start` runs): the whole mesh on this machine, no cluster, no root.
//
// It takes the state folder's lock, starts each component that this build has as a child process
// (same binary, same code paths as in Kubernetes), writes `state.json` describing what runs where,
// prints it, and runs until Ctrl-C, SIGTERM or `--duration` ends, then stops everything and exits 0.
// Components join the list in demo-components.ts as their issues land.

import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { formatDurationMs, parseDurationMs } from '../../config/index.ts';
import { UsageError } from '../../errors/index.ts';
import { VERSION } from '../../version.ts';
import { parseFlags } from '../args.ts';
import { EXIT_FAILURE, EXIT_OK, type CommandContext } from '../command.ts';
import { formatTable, writeLine } from '../output.ts';
import { untilAborted } from '../wait.ts';
import { demoComponents, PLANNED_COMPONENTS } from './demo-components.ts';
import { parseProxyEnv } from './demo-proxy-env.ts';
import { startComponent } from './start-component.ts';
import { acquireStateLock } from './state-lock.ts';
import { logTail, Supervisor } from './supervisor.ts';

export interface DemoState {
  readonly version: string;
  readonly pid: number;
  readonly startedAt: string;
  readonly stateDir: string;
  readonly components: readonly { name: string; pid: number; log: string; addresses: Record<string, string> }[];
  /** The dashboard page's URL (`nodemesh dashboard`), null when it is not running. */
  readonly dashboard: string | null;
  readonly planned: readonly string[];
}

export async function runDemo(ctx: CommandContext): Promise<number> {
  const { values } = parseFlags('demo', ctx.argv, {
    'state-dir': { type: 'string' },
    duration: { type: 'string' },
    'proxy-env': { type: 'string', multiple: true },
  });
  const stateDir = path.resolve(ctx.cwd, values['state-dir'] ?? '.nodemesh');
  const durationMs = values.duration === undefined ? undefined : parseDurationMs(values.duration);
  if (durationMs === undefined && values.duration !== undefined) {
    throw new UsageError(
      `demo: --duration ${JSON.stringify(values.duration)} is not a duration; allowed: a number with units, e.g. 60s or 5m`,
    );
  }

  const proxyEnv = parseProxyEnv(values['proxy-env'] ?? []);

  const lock = await acquireStateLock(stateDir);
  const logDir = path.join(stateDir, 'logs');
  await mkdir(logDir, { recursive: true });
  let failed = false;
  /** The component being started, and whether it has a fallback to start if it fails. */
  let starting: { name: string; fallback: boolean } | undefined;
  const supervisor = new Supervisor({
    self: ctx.self,
    logDir,
    inheritEnv: { PATH: ctx.env.PATH, HOME: ctx.env.HOME },
    onExit: (name, code, signal) => {
      // A Ctrl-C in the terminal reaches the children too: their exit is then expected.
      if (ctx.signal.aborted || stopped.signal.aborted) return;
      // startComponent says why and starts the fallback.
      if (name === starting?.name && starting.fallback) return;
      failed = true;
      writeLine(
        ctx.stderr,
        `demo: ${name} exited unexpectedly (code ${code ?? 'none'}, signal ${signal ?? 'none'}); see ${path.join(logDir, `${name}.log`)}`,
      );
      // The end of its log says why (a component that dies while starting gets it in the start error).
      if (name !== starting?.name) {
        void logTail(path.join(logDir, `${name}.log`), 8).then((tail) =>
          writeLine(ctx.stderr, tail.replace(/^/gm, '  ')),
        );
      }
      stop();
    },
  });
  const stopped = new AbortController();
  const stop = (): void => stopped.abort();
  ctx.signal.addEventListener('abort', stop, { once: true });
  let timer: NodeJS.Timeout | undefined;

  try {
    const started: DemoState['components'][number][] = [];
    for (const first of await demoComponents({ stateDir, proxyEnv })) {
      starting = { name: first.spec.name, fallback: first.fallback !== undefined };
      const { component, running } = await startComponent(supervisor, first, (err) => {
        starting = { name: first.spec.name, fallback: false };
        writeLine(ctx.stderr, `demo: ${err.message.split('\n')[0]}; starting it again as a fallback`);
      });
      starting = undefined;
      started.push({
        name: component.spec.name,
        pid: running.pid,
        log: running.logFile,
        addresses: component.addresses,
      });
    }
    const state: DemoState = {
      version: VERSION,
      pid: process.pid,
      startedAt: new Date().toISOString(),
      stateDir,
      components: started,
      dashboard: started.find((c) => c.name === 'dashboard')?.addresses.url ?? null,
      planned: PLANNED_COMPONENTS,
    };
    await writeFile(path.join(stateDir, 'state.json'), `${JSON.stringify(state, null, 2)}\n`);
    printState(ctx, state, durationMs);
    // --duration counts from when everything is up, so a bounded run always shows traffic.
    if (durationMs !== undefined) timer = setTimeout(stop, durationMs);
    await untilAborted(stopped.signal);
    writeLine(ctx.stdout, 'nodemesh demo: stopping');
  } finally {
    clearTimeout(timer);
    ctx.signal.removeEventListener('abort', stop);
    await supervisor.stopAll();
    await rm(path.join(stateDir, 'state.json'), { force: true });
    await lock.release();
  }
  writeLine(ctx.stdout, 'nodemesh demo: stopped');
  return failed ? EXIT_FAILURE : EXIT_OK;
}

function printState(ctx: CommandContext, state: DemoState, durationMs: number | undefined): void {
  writeLine(
    ctx.stdout,
    `nodemesh demo ${state.version}: local mesh running (state in ${path.join(state.stateDir, 'state.json')})`,
  );
  if (state.components.length === 0) {
    writeLine(ctx.stdout, 'started: no components yet in this build');
  } else {
    const rows = [['COMPONENT', 'PID', 'ADDRESSES']];
    for (const c of state.components) {
      rows.push([
        c.name,
        String(c.pid),
        Object.entries(c.addresses)
          .map(([k, v]) => `${k}=${v}`)
          .join(' '),
      ]);
    }
    writeLine(ctx.stdout, formatTable(rows));
  }
  if (state.dashboard !== null) writeLine(ctx.stdout, `dashboard: ${state.dashboard}`);
  if (state.planned.length > 0) writeLine(ctx.stdout, `not built yet: ${state.planned.join(', ')}`);
  writeLine(
    ctx.stdout,
    durationMs === undefined
      ? 'press Ctrl-C to stop'
      : `stopping by itself after ${formatDurationMs(durationMs)} (or Ctrl-C)`,
  );
}
