#!/usr/bin/env node
// The one nodemesh binary: `nodemesh <command>`. This file is the only place that maps command
// names to implementations; every implementation is loaded lazily, so the sidecar never loads the
// control plane's libraries (or the Kubernetes client) and a CLI verb loads only what it uses.

import { fileURLToPath } from 'node:url';
import { dispatch, runVersion, VERSION_HELP, type CommandSpec } from '../src/cli/index.ts';
import { DESTINATION_HELP } from '../controller/destination/help.ts';
import { INJECTOR_HELP } from '../controller/injector/help.ts';
import { CHECK_HELP, CHECK_SUMMARY } from '../src/cli/check/check-help.ts';
import { DEMO_HELP } from '../src/cli/demo/demo-help.ts';
import { SPLIT_HELP, SPLIT_SUMMARY } from '../src/cli/split/split-help.ts';
import { INJECT_HELP, INJECT_SUMMARY, UNINJECT_HELP, UNINJECT_SUMMARY } from '../src/cli/inject/inject-help.ts';
import type { InjectCommandDeps } from '../src/cli/inject/index.ts';
import { PROXY_AWAIT_HELP, PROXY_AWAIT_SUMMARY } from '../src/cli/proxy-await/proxy-await-help.ts';
import { STAT_HELP, STAT_SUMMARY } from '../src/cli/stat/stat-help.ts';
import { ROUTES_HELP, ROUTES_SUMMARY } from '../src/cli/routes/routes-help.ts';
import { TAP_HELP, TAP_SUMMARY } from '../src/cli/tap/tap-help.ts';
import { PROFILE_HELP, PROFILE_SUMMARY } from '../src/cli/profile/profile-help.ts';
import { EDGES_HELP, EDGES_SUMMARY } from '../src/cli/edges/edges-help.ts';
import { DASHBOARD_HELP, DASHBOARD_SUMMARY } from '../src/cli/dashboard/dashboard-help.ts';
import { DEMO_APP_HELP } from '../src/cli/demo/demo-app-help.ts';
import { IDENTITY_HELP, INIT_HELP, INSPECT_HELP, ISSUER_HELP, TOKEN_HELP } from '../src/cli/identity/identity-help.ts';
import { PROXY_HELP } from '../proxy/help.ts';
import { CNI_HELP, CNI_INSTALL_HELP } from '../proxy/cni/cni-help.ts';
import { PROXY_INIT_HELP } from '../proxy/init/proxy-init-help.ts';

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'proxy',
    summary: 'run the sidecar proxy',
    help: PROXY_HELP,
    load: async () => (await import('../proxy/main.ts')).runProxy,
  },
  {
    name: 'proxy-init',
    summary: 'set up iptables interception in a pod (init container)',
    help: PROXY_INIT_HELP,
    load: async () => (await import('../proxy/init/index.ts')).runProxyInit,
  },
  {
    name: 'cni',
    summary: 'the CNI plugin (run by the container runtime), and its node installer (cni install)',
    help: CNI_HELP,
    load: async () => {
      const { runCni } = await import('../proxy/cni/cni-command.ts');
      return (ctx) => runCni(ctx, process.stdin);
    },
    verbs: [
      {
        name: 'install',
        summary: "install the plugin into the node's CNI configuration and keep it there",
        help: CNI_INSTALL_HELP,
        load: async () => (await import('../proxy/cni/cni-command.ts')).runCniInstall,
      },
    ],
  },
  {
    name: 'destination',
    summary: 'run the destination (discovery) service',
    help: DESTINATION_HELP,
    load: async () => (await import('../controller/destination/main.ts')).runDestination,
  },
  {
    name: 'injector',
    summary: 'run the proxy injector (mutating and validating admission webhooks)',
    help: INJECTOR_HELP,
    load: async () => (await import('../controller/injector/main.ts')).runInjector,
  },
  {
    name: 'identity',
    summary: 'run the identity service, or manage certificates (init, issuer, inspect, token)',
    help: IDENTITY_HELP,
    load: async () => (await import('../identity/main.ts')).runIdentityService,
    verbs: [
      {
        name: 'serve',
        summary: 'run the identity service',
        help: IDENTITY_HELP,
        load: async () => (await import('../identity/main.ts')).runIdentityService,
      },
      {
        name: 'init',
        summary: 'create a trust anchor and an issuer',
        help: INIT_HELP,
        load: async () => (await import('../src/cli/identity/init-command.ts')).runIdentityInit,
      },
      {
        name: 'issuer',
        summary: 'create a new issuer from a trust anchor',
        help: ISSUER_HELP,
        load: async () => (await import('../src/cli/identity/issuer-command.ts')).runIdentityIssuer,
      },
      {
        name: 'inspect',
        summary: 'describe and check certificates',
        help: INSPECT_HELP,
        load: async () => (await import('../src/cli/identity/inspect-command.ts')).runIdentityInspect,
      },
      {
        name: 'token',
        summary: 'mint a local-mode service-account token',
        help: TOKEN_HELP,
        load: async () => (await import('../src/cli/identity/token-command.ts')).runIdentityToken,
      },
    ],
  },
  {
    name: 'demo',
    summary: 'run the whole mesh locally (what npm start runs)',
    help: DEMO_HELP,
    load: async () => (await import('../src/cli/demo/demo-command.ts')).runDemo,
  },
  {
    name: 'check',
    summary: CHECK_SUMMARY,
    help: CHECK_HELP,
    load: async () => (await import('../src/cli/check/check-command.ts')).runCheck,
  },
  {
    name: 'stat',
    summary: STAT_SUMMARY,
    help: STAT_HELP,
    load: async () => (await import('../src/cli/stat/stat-command.ts')).runStat,
  },
  {
    name: 'routes',
    summary: ROUTES_SUMMARY,
    help: ROUTES_HELP,
    load: async () => (await import('../src/cli/routes/routes-command.ts')).runRoutes,
  },
  {
    name: 'tap',
    summary: TAP_SUMMARY,
    help: TAP_HELP,
    load: async () => (await import('../src/cli/tap/tap-command.ts')).runTap,
  },
  {
    name: 'edges',
    summary: EDGES_SUMMARY,
    help: EDGES_HELP,
    load: async () => (await import('../src/cli/edges/edges-command.ts')).runEdges,
  },
  {
    name: 'dashboard',
    summary: DASHBOARD_SUMMARY,
    help: DASHBOARD_HELP,
    load: async () => (await import('../src/cli/dashboard/dashboard-command.ts')).runDashboard,
  },
  {
    name: 'profile',
    summary: PROFILE_SUMMARY,
    help: PROFILE_HELP,
    load: async () => (await import('../src/cli/profile/index.ts')).createProfileCommand({ stdin: process.stdin }),
  },
  {
    name: 'split',
    summary: SPLIT_SUMMARY,
    help: SPLIT_HELP,
    load: async () => (await import('../src/cli/split/split-command.ts')).runSplit,
  },
  {
    name: 'inject',
    summary: INJECT_SUMMARY,
    help: INJECT_HELP,
    load: async () => (await import('../src/cli/inject/index.ts')).createInjectCommand(await injectDeps()),
  },
  {
    name: 'uninject',
    summary: UNINJECT_SUMMARY,
    help: UNINJECT_HELP,
    load: async () => (await import('../src/cli/inject/index.ts')).createUninjectCommand(await injectDeps()),
  },
  {
    name: 'proxy-await',
    summary: PROXY_AWAIT_SUMMARY,
    help: PROXY_AWAIT_HELP,
    load: async () => (await import('../src/cli/proxy-await/proxy-await-command.ts')).runProxyAwait,
  },
  {
    name: 'demo-app',
    summary: "the local mesh's example applications (started by demo)",
    help: DEMO_APP_HELP,
    load: async () => (await import('../src/cli/demo/demo-apps.ts')).runDemoApp,
  },
  {
    name: 'version',
    summary: 'print the nodemesh and Node.js versions',
    help: VERSION_HELP,
    load: () => Promise.resolve(runVersion),
  },
];

/** `nodemesh inject` / `uninject` run the webhook's own injector (src/ may not import controller/). */
async function injectDeps(): Promise<InjectCommandDeps> {
  const { createInjectBackend } = await import('../controller/injector/cli-backend.ts');
  return { backend: createInjectBackend(), stdin: process.stdin };
}

async function main(): Promise<void> {
  const controller = new AbortController();
  // One Ctrl-C can arrive twice: from the terminal and forwarded by npm (npm start). A second
  // signal within 2 s is that same Ctrl-C; one after that means "stop now".
  let firstSignalAt = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    const now = Date.now();
    if (firstSignalAt === 0) {
      firstSignalAt = now;
      controller.abort(new Error(`received ${signal}`));
      return;
    }
    if (now - firstSignalAt < 2000) return;
    process.stderr.write(`received ${signal} again; exiting now\n`);
    process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const code = await dispatch({
    commands: COMMANDS,
    argv: process.argv.slice(2),
    context: {
      env: process.env,
      stdout: process.stdout,
      stderr: process.stderr,
      signal: controller.signal,
      program: 'nodemesh',
      cwd: process.cwd(),
      self: [process.execPath, fileURLToPath(import.meta.url)],
    },
  });
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  process.exitCode = code;
}

if (import.meta.main) await main();
