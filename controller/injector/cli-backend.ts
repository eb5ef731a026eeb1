// The injector behind `nodemesh inject` / `uninject` (src/cli/inject/inject-backend.ts): the
// chart's values.yaml with --values files merged over it, then the webhook's own injectPod.
//
// The control plane namespace is --namespace, else the values' controlPlaneNamespace, else
// `nodemesh` (the chart's values.yaml has none: the chart renders the release namespace).

import type { InjectBackend, TemplateInjector, TemplateUninjector } from '../../src/cli/inject/inject-backend.ts';
import { ConfigError } from '../../src/errors/index.ts';
import { injectPod } from './inject-pod.ts';
import { loadChartValues, parseInjectorConfig } from './injector-config.ts';
import { ownerKindOf } from './owner.ts';
import { uninjectPod } from './uninject.ts';
import { checkPortList, PORT_LIST_ALLOWED } from './value-rules.ts';
import { mergeValues } from './values-merge.ts';

export const DEFAULT_CONTROL_PLANE_NAMESPACE = 'nodemesh';

export function createInjectBackend(opts: { readonly chartValues?: string | URL } = {}): InjectBackend {
  const chart = opts.chartValues === undefined ? {} : { chartValues: opts.chartValues };
  return {
    async loadInjector(o): Promise<TemplateInjector> {
      let values = await loadChartValues(o.valuesFiles, chart);
      const namespace =
        o.namespace ??
        (typeof values['controlPlaneNamespace'] === 'string' ? values['controlPlaneNamespace'] : undefined) ??
        DEFAULT_CONTROL_PLANE_NAMESPACE;
      values = mergeValues(values, {
        controlPlaneNamespace: namespace,
        ...(o.trustAnchorsPem === undefined ? {} : { identityTrustAnchorsPEM: o.trustAnchorsPem }),
      });
      const config = parseInjectorConfig(values, { source: 'chart values.yaml and --values' });
      return {
        inject: ({ template, namespace: ns, owner }) => {
          const kind = owner === undefined ? undefined : ownerKindOf(owner.kind);
          const result = injectPod({
            pod: template,
            config,
            namespace: ns,
            namespaceMetadata: { labels: {}, annotations: {} },
            owner: kind === undefined || owner === undefined ? undefined : { kind, name: owner.name },
          });
          return result.injected
            ? { injected: true, patch: result.patch, warnings: result.warnings }
            : { injected: false, reason: result.reason, message: result.message, warnings: result.warnings };
        },
      };
    },
    async loadUninjector(o): Promise<TemplateUninjector> {
      const values = await loadChartValues(o.valuesFiles, chart);
      const raw = (values['proxy'] as Record<string, unknown> | undefined)?.['opaquePorts'];
      const checked = typeof raw === 'string' ? checkPortList(raw) : undefined;
      if (checked === undefined || !checked.ok) {
        throw new ConfigError('nodemesh uninject values', [
          {
            name: 'proxy.opaquePorts',
            value: raw === undefined ? undefined : JSON.stringify(raw),
            allowed: PORT_LIST_ALLOWED,
          },
        ]);
      }
      const opaque = checked.value;
      return {
        uninject: (template) => {
          const result = uninjectPod(template, { defaultOpaquePorts: opaque });
          return { changed: result.changed, template: result.pod };
        },
      };
    },
  };
}
