// Starting one of the local mesh's components, with a second try where the component has one.
//
// A component whose address nothing else depends on (the dashboard) may carry a `fallback`: a fresh
// spec, built only when needed, to start once if the first fails to start. The dashboard needs it
// because its preferred port (50750) lies in Linux's ephemeral range: an outbound connection of a
// component started before it can take that port between the check that it is free and the
// dashboard's bind, and the dashboard then exits with EADDRINUSE.

import type { DemoComponent } from './demo-components.ts';
import { ChildProcessError, type RunningComponent, type Supervisor } from './supervisor.ts';

export interface StartedComponent {
  /** The component that runs: the fallback when the first spec failed. */
  readonly component: DemoComponent;
  readonly running: RunningComponent;
}

/**
 * Starts `component`; if its process exits while starting (ChildProcessError with `exited`) and it
 * has a fallback, reports the failure through `onFallback` and starts the fallback instead. Any
 * other failure (one still running but not ready in time keeps its address, so a second copy
 * would only compete with it), or the fallback's own, is thrown.
 */
export async function startComponent(
  supervisor: Pick<Supervisor, 'start'>,
  component: DemoComponent,
  onFallback: (err: ChildProcessError) => void,
): Promise<StartedComponent> {
  try {
    return { component, running: await supervisor.start(component.spec) };
  } catch (err) {
    if (component.fallback === undefined || !(err instanceof ChildProcessError) || err.fields.exited !== true) {
      throw err;
    }
    onFallback(err);
    const second = await component.fallback();
    return { component: second, running: await supervisor.start(second.spec) };
  }
}
