// The components the local mesh starts, in start order, with the addresses they serve.
//
// Each entry is built from the state folder (certificates, config files) and describes one child
// process. Components are added here as they are built; PLANNED_COMPONENTS names the rest so the
// demo can say what it does not run yet.

import type { ComponentSpec } from './supervisor.ts';

export interface DemoComponent {
  readonly spec: ComponentSpec;
  /** What it serves, for state.json and the printed table: name → address. */
  readonly addresses: Record<string, string>;
}

export interface DemoComponentsOptions {
  readonly stateDir: string;
}

export const PLANNED_COMPONENTS: readonly string[] = [
  'identity (issue 3)',
  'destination (issue 6)',
  'proxies (issues 4, 5)',
  'demo apps and traffic (issue 11)',
  'dashboard (issue 11)',
];

export function demoComponents(_opts: DemoComponentsOptions): Promise<readonly DemoComponent[]> {
  return Promise.resolve([]);
}
