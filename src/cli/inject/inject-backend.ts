// What `nodemesh inject` and `uninject` need from the injector, as an interface: src/ may not
// import controller/ (ARCHITECTURE.md §4), so bin/nodemesh.ts hands the injector's implementation
// (controller/injector/cli-backend.ts) to the commands. The webhook and the CLI thus share one
// patch builder.

import type { JsonPatchOperation } from '../../json-patch/index.ts';

export interface TemplateOwner {
  /** Lower-case workload kind: deployment, statefulset, … */
  readonly kind: string;
  readonly name: string;
}

export type TemplateInjection =
  | { readonly injected: true; readonly patch: readonly JsonPatchOperation[]; readonly warnings: readonly string[] }
  | {
      readonly injected: false;
      readonly reason: string;
      readonly message: string;
      readonly warnings: readonly string[];
    };

export interface TemplateInjector {
  /** Injects a pod template (metadata + spec) exactly as the webhook would; throws on bad annotations. */
  inject(input: {
    readonly template: Readonly<Record<string, unknown>>;
    readonly namespace: string | undefined;
    readonly owner: TemplateOwner | undefined;
  }): TemplateInjection;
}

export interface TemplateUninjector {
  uninject(template: Readonly<Record<string, unknown>>): {
    readonly changed: boolean;
    readonly template: Readonly<Record<string, unknown>>;
  };
}

export interface InjectBackend {
  /** The injector with the chart values, `valuesFiles` merged over them, and the overrides given. */
  loadInjector(opts: {
    readonly valuesFiles: readonly string[];
    readonly trustAnchorsPem: string | undefined;
    readonly namespace: string | undefined;
  }): Promise<TemplateInjector>;
  loadUninjector(opts: { readonly valuesFiles: readonly string[] }): Promise<TemplateUninjector>;
}
