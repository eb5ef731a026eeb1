// The fake API server's `status` subresource: PUT
// `/apis/{group}/{version}/namespaces/{ns}/{plural}/{name}/status` (and the core and cluster-scoped
// forms) replaces only `.status` of the stored object, as kube-apiserver does for a resource with
// the status subresource enabled (the CRDs of Gateway API routes, say).
//
// Contract: everything but `.status` in the request body is ignored (spec, labels, annotations stay
// as stored); a body whose metadata.resourceVersion is set and not the stored one is answered 409
// Conflict; a missing object 404; a body that is not an object, has no metadata.name or names
// another object 400. A replace bumps resourceVersion and emits MODIFIED, and answers the stored
// object.

import type { ServerResponse } from 'node:http';
import { parseResourcePath, type FakeResource, type ResourcePath } from './fake-api-resources.ts';
import { sendJson, sendStatus } from './fake-api-status.ts';
import type { FakeObjectStore } from './fake-api-store.ts';

const STATUS_SUFFIX = '/status';

/** The object a `…/{name}/status` path names, or undefined when the path is not one. */
export function parseStatusPath(pathname: string): (ResourcePath & { readonly name: string }) | undefined {
  if (!pathname.endsWith(STATUS_SUFFIX)) return undefined;
  const path = parseResourcePath(pathname.slice(0, -STATUS_SUFFIX.length));
  if (path?.name === undefined) return undefined;
  return { ...path, name: path.name };
}

/** Answers a PUT to the status subresource of the object at `path`, whose body is `text`. */
export function replaceStatus(
  store: FakeObjectStore,
  path: ResourcePath & { readonly name: string },
  text: string,
  res: ServerResponse,
  served: (resource: FakeResource) => boolean = () => true,
): void {
  const resource = store.resourceAt(path);
  if (resource === undefined || !served(resource)) {
    sendStatus(res, 404, `the server could not find the requested resource (PUT ${path.plural}/${path.name}/status)`);
    return;
  }
  if (path.namespace !== undefined && !resource.namespaced) {
    sendStatus(res, 404, `${resource.plural} is not namespaced`);
    return;
  }
  let body: { metadata?: { name?: unknown; namespace?: unknown; resourceVersion?: unknown }; status?: unknown };
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
    body = parsed;
  } catch {
    sendStatus(res, 400, 'request body is not a JSON object');
    return;
  }
  const name = body.metadata?.name;
  if (name !== path.name) {
    sendStatus(res, 400, `the name in the path (${path.name}) does not match metadata.name (${JSON.stringify(name)})`);
    return;
  }
  const namespace = body.metadata?.namespace;
  if (namespace !== undefined && namespace !== path.namespace) {
    sendStatus(
      res,
      400,
      `metadata.namespace (${JSON.stringify(namespace)}) does not match the path (${String(path.namespace)})`,
    );
    return;
  }
  const existing = store.get(resource, path.namespace, path.name);
  if (existing === undefined) {
    sendStatus(res, 404, `${resource.plural} "${path.name}" not found`);
    return;
  }
  const resourceVersion = body.metadata?.resourceVersion;
  if (resourceVersion !== undefined && resourceVersion !== existing.metadata.resourceVersion) {
    sendStatus(
      res,
      409,
      `Operation cannot be fulfilled on ${resource.plural} "${path.name}": the object has been modified; ` +
        'please apply your changes to the latest version and try again',
    );
    return;
  }
  const next = structuredClone(existing);
  if (body.status === undefined) delete next['status'];
  else next['status'] = body.status;
  sendJson(res, 200, store.update(next));
}
