// `nodemesh tap WORKLOAD`: find the workload's proxy in the local mesh's state.json, open GET /tap
// on its control address, and print the requests it streams until Ctrl-C, --limit or --duration
// (ADR 0013, "Tap"). With --kubernetes the proxy is a pod's, reached through a port-forward
// (tap-kubernetes.ts); the streaming here serves both.

import type { Writable } from 'node:stream';
import { EXIT_FAILURE, EXIT_OK, type CommandContext } from '../command.ts';
import { writeLine } from '../output.ts';
import { MeshStateError, PROXY_SUFFIX, readMeshState, workloadOf, type MeshComponent } from '../stat/mesh-state.ts';
import { parseTapArgs, tapPath, type TapArgs } from './tap-args.ts';
import { formatDropped, formatRequest } from './tap-format.ts';
import { parseTapLine } from './tap-line.ts';
import { openTapStream } from './tap-stream.ts';

/** Where a tap goes, for messages. */
export interface TapPlace {
  /** Whose proxy, for messages (`web-0`, `pod shop/web-1`). */
  readonly name: string;
  /** The URL of GET /tap. */
  readonly url: URL;
  /** The line on stderr once the tap is open (without "; Ctrl-C to stop"). */
  readonly tapping: string;
  /** The error when nothing answered at `url`, given the reason. */
  unreachable(reason: string): string;
}

export async function runTap(ctx: CommandContext): Promise<number> {
  const args = parseTapArgs(ctx.argv);
  if (args.kubernetes !== undefined) {
    const { runTapKubernetes } = await import('./tap-kubernetes.ts');
    return runTapKubernetes(ctx, args, args.kubernetes);
  }
  const proxy = await findProxy(ctx, args);
  if (proxy === undefined) return EXIT_FAILURE;
  const control = proxy.addresses.control;
  if (control === undefined) {
    writeLine(
      ctx.stderr,
      `error: the local mesh's state.json has no control address for ${proxy.name} (a mesh started by an older nodemesh?); restart it with npm start`,
    );
    return EXIT_FAILURE;
  }
  let url: URL;
  try {
    url = new URL(tapPath(args), control);
  } catch {
    writeLine(
      ctx.stderr,
      `error: ${proxy.name}'s control address ${JSON.stringify(control)} in state.json is not a URL`,
    );
    return EXIT_FAILURE;
  }

  return tapUntilStopped(ctx, args, {
    name: args.workload,
    url,
    tapping: `tapping ${args.workload} (${url.href})`,
    unreachable: (reason) =>
      `cannot reach ${args.workload}'s proxy at ${url.origin} (${reason}); is the local mesh running? (npm start)`,
  });
}

/** Streams the tap at `place` until Ctrl-C, --duration, --limit or the proxy ends it; the exit code. */
export async function tapUntilStopped(ctx: CommandContext, args: TapArgs, place: TapPlace): Promise<number> {
  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  const timer = args.durationMs === undefined ? undefined : setTimeout(onAbort, args.durationMs);
  // A reader that went away (`| head`) ends the tap like Ctrl-C does.
  const onStdoutError = (): void => stop.abort();
  ctx.stdout.on('error', onStdoutError);
  try {
    if (ctx.signal.aborted) return EXIT_OK;
    return await stream(ctx, args, place, stop.signal);
  } finally {
    clearTimeout(timer);
    ctx.signal.removeEventListener('abort', onAbort);
    ctx.stdout.off('error', onStdoutError);
  }
}

async function stream(ctx: CommandContext, args: TapArgs, place: TapPlace, signal: AbortSignal): Promise<number> {
  const opened = await openTapStream(place.url, signal);
  const name = place.name;
  switch (opened.kind) {
    case 'unreachable':
      if (signal.aborted) return EXIT_OK;
      writeLine(ctx.stderr, `error: ${place.unreachable(opened.reason)}`);
      return EXIT_FAILURE;
    case 'refused':
      writeLine(ctx.stderr, `error: ${name}'s proxy refused to tap (HTTP ${opened.status}): ${opened.reason}`);
      return EXIT_FAILURE;
    case 'open':
      break;
  }
  writeLine(ctx.stderr, `${place.tapping}; Ctrl-C to stop`);
  let endReason: string | undefined;
  const print = (out: Writable, text: string): void => {
    if (!signal.aborted) writeLine(out, text);
  };
  const ended = await opened.read((text) => {
    const line = parseTapLine(text);
    if (line === undefined) return;
    if (line.type === 'end') endReason = line.reason;
    if (args.output === 'json') {
      print(ctx.stdout, text);
      return;
    }
    switch (line.type) {
      case 'request':
        print(ctx.stdout, formatRequest(line, args.output === 'wide'));
        return;
      case 'dropped':
        print(ctx.stderr, formatDropped(line.count, line.total, opened.rate));
        return;
      case 'end':
      case 'unknown':
        return;
    }
  });
  if (signal.aborted || endReason === 'limit') return EXIT_OK;
  if (endReason === 'shutdown') {
    writeLine(ctx.stderr, `tap: ${name}'s proxy is shutting down; the tap ended`);
  } else if (ended === 'ended') {
    writeLine(ctx.stderr, `tap: ${name}'s proxy ended the tap${endReason === undefined ? '' : ` (${endReason})`}`);
  } else {
    writeLine(ctx.stderr, `error: the connection to ${name}'s proxy was lost`);
  }
  return EXIT_FAILURE;
}

/** The proxy of `args.workload` (a pod name, or the proxy's component name), or undefined after saying why not. */
async function findProxy(ctx: CommandContext, args: TapArgs): Promise<MeshComponent | undefined> {
  let components: readonly MeshComponent[];
  try {
    components = (await readMeshState(ctx.cwd, args.stateDir)).components;
  } catch (err) {
    if (!(err instanceof MeshStateError)) throw err;
    writeLine(ctx.stderr, `error: ${err.message}`);
    return undefined;
  }
  const proxies = components.filter((c) => c.name.endsWith(PROXY_SUFFIX));
  const found = proxies.find((c) => workloadOf(c) === args.workload || c.name === args.workload);
  if (found !== undefined) return found;
  const known = proxies.map(workloadOf);
  writeLine(
    ctx.stderr,
    known.length === 0
      ? `error: no workload named ${JSON.stringify(args.workload)}: the local mesh has no proxies`
      : `error: no workload named ${JSON.stringify(args.workload)} in the local mesh; known: ${known.join(', ')}`,
  );
  return undefined;
}
