// Port lists: expanding `25,8000-8010` into numbers and writing numbers back compactly, resolving
// container port names in `config.nodemesh.io/opaque-ports`, and computing the opaque ports the
// injector adds when a pod or Service has none (its ports that are in `proxy.opaquePorts`).

import { parsePortList } from '../../src/config/index.ts';
import type { ContainerPortInfo } from './pod-shape.ts';

/** The ports of a list already checked by value-rules (empty for ""). */
export function expandPorts(text: string): number[] {
  return text.trim() === '' ? [] : (parsePortList(text) ?? []);
}

/** Sorted, unique ports, runs of three or more as ranges: [25, 26, 8000, 8001, 8002] → "25,26,8000-8002". */
export function formatPorts(ports: Iterable<number>): string {
  const sorted = [...new Set(ports)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    const lo = sorted[i] ?? 0;
    let hi = lo;
    while (i + 1 < sorted.length && sorted[i + 1] === hi + 1) hi = sorted[++i] ?? hi;
    if (hi - lo >= 2) parts.push(`${lo}-${hi}`);
    else for (let p = lo; p <= hi; p++) parts.push(String(p));
    i++;
  }
  return parts.join(',');
}

/** Numbers for an opaque-ports annotation, with container port names resolved. */
export function resolveOpaquePorts(
  text: string,
  ports: readonly ContainerPortInfo[],
): { readonly ports: number[]; readonly warnings: string[] } {
  const out: number[] = [];
  const warnings: string[] = [];
  for (const item of text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')) {
    if (/^\d/.test(item)) {
      out.push(...expandPorts(item));
      continue;
    }
    const named = ports.filter((p) => p.name === item).map((p) => p.containerPort);
    if (named.length === 0)
      warnings.push(`opaque port name ${JSON.stringify(item)} matches no container port; ignored`);
    out.push(...named);
  }
  return { ports: [...new Set(out)].sort((a, b) => a - b), warnings };
}

/** The `ports` that are in the default opaque list, as annotation text ("" when none). */
export function defaultOpaquePorts(ports: Iterable<number>, defaults: string): string {
  const opaque = new Set(expandPorts(defaults));
  return formatPorts([...ports].filter((p) => opaque.has(p)));
}
