// Opaque ports: which ports a client must treat as opaque TCP (no protocol detection, no HTTP
// features). The Service annotation `config.nodemesh.io/opaque-ports` (ports and ranges, e.g.
// `3306,8000-8010`) replaces the default list, as in Linkerd; a pod's annotation does the same for
// its own ports. An unreadable annotation counts as absent (the defaults apply).
//
// Contract: pure; never throws. Named ports in the annotation are not resolved yet (ADR 0007).

import { parsePortList } from '../../src/config/index.ts';
import type { CachedObject } from '../../src/k8s/index.ts';

export const OPAQUE_PORTS_ANNOTATION = 'config.nodemesh.io/opaque-ports';
export const SKIP_INBOUND_PORTS_ANNOTATION = 'config.nodemesh.io/skip-inbound-ports';

/** The ports an annotation lists on `object`, or undefined when it has none (or it is unreadable). */
export function annotatedPorts(object: CachedObject | undefined, annotation: string): readonly number[] | undefined {
  const value = object?.metadata.annotations?.[annotation];
  if (value === undefined) return undefined;
  if (value.trim() === '') return [];
  return parsePortList(value);
}

/** True when `port` is opaque for `object` (a Service or a Pod), given the default list. */
export function isOpaquePort(object: CachedObject | undefined, port: number, defaults: readonly number[]): boolean {
  return (annotatedPorts(object, OPAQUE_PORTS_ANNOTATION) ?? defaults).includes(port);
}
