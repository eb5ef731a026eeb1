// `nodemesh dashboard`: build the page if needed, scrape the local mesh's proxies every interval in
// the background, and serve the page and its JSON API until Ctrl-C.

import { SettingsReader } from '../../config/index.ts';
import { componentLogger, createLogger, readLogConfig } from '../../log/index.ts';
import { parseFlags } from '../args.ts';
import { EXIT_FAILURE, EXIT_OK, type CommandContext } from '../command.ts';
import { writeLine } from '../output.ts';
import { findSplit } from '../split/split-profile.ts';
import { isProxy, MeshStateError, readMeshState } from '../stat/mesh-state.ts';
import { scrapeMetrics } from '../stat/scrape.ts';
import { untilAborted } from '../wait.ts';
import { DashboardBuildError, ensureDashboardBuilt } from './dashboard-build.ts';
import { DashboardCollector, type MeshView } from './dashboard-collector.ts';
import { parseDashboardFlags } from './dashboard-config.ts';
import { DashboardServer } from './dashboard-server.ts';

export async function runDashboard(ctx: CommandContext): Promise<number> {
  const { values } = parseFlags('dashboard', ctx.argv, {
    address: { type: 'string' },
    interval: { type: 'string' },
    'allow-remote': { type: 'boolean' },
    'state-dir': { type: 'string' },
  });
  const config = parseDashboardFlags(values);
  const root = createLogger({ config: readLogConfig(new SettingsReader('dashboard', ctx.env)), name: 'dashboard' });
  const log = componentLogger(root, 'dashboard');

  let dist: string;
  try {
    dist = await ensureDashboardBuilt(log);
  } catch (err) {
    if (!(err instanceof DashboardBuildError)) throw err;
    writeLine(ctx.stderr, `dashboard: ${err.message}`);
    return EXIT_FAILURE;
  }

  const readMesh = async (): Promise<MeshView> => {
    try {
      const state = await readMeshState(ctx.cwd, config.stateDir);
      const resources = state.components.find((c) => c.name === 'destination')?.addresses.resources;
      return { proxies: state.components.filter(isProxy), resources };
    } catch (err) {
      if (err instanceof MeshStateError) return { problem: err.message };
      throw err;
    }
  };
  const collector = new DashboardCollector(
    {
      readMesh,
      scrape: scrapeMetrics,
      readSplit: async (folder, host) => (await findSplit(folder, host)).backends,
      now: Date.now,
      log: componentLogger(root, 'dashboard-collector'),
    },
    { intervalMs: config.intervalMs },
  );
  const server = new DashboardServer({ dist, snapshot: () => collector.current });
  let address;
  try {
    address = await server.listen(config.host, config.port);
  } catch (err) {
    writeLine(
      ctx.stderr,
      `dashboard: cannot listen on ${config.host}:${config.port} (${(err as NodeJS.ErrnoException).code ?? String(err)}); choose another with --address`,
    );
    return EXIT_FAILURE;
  }
  collector.start();
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}/`;
  log.info({ url, intervalMs: config.intervalMs }, 'dashboard listening');
  writeLine(ctx.stdout, `nodemesh dashboard: ${url} (scraping every ${config.intervalMs}ms; Ctrl-C to stop)`);
  try {
    await untilAborted(ctx.signal);
  } finally {
    await collector.close();
    await server.close();
  }
  return EXIT_OK;
}
