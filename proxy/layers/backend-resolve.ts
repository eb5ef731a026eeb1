// Resolving a backend Service of a logical target (ServiceProfile dstOverrides, Gateway API
// backendRefs): the same machinery for both, so that every backend is resolved and balanced on its
// own (linkerd.md §8, ADR 0012).
//
// Contract: a backend named like the target itself is the target (its own balancer); any other is
// resolved like a logical target through `backends` (discovery keeps its endpoints and balancer
// while used). undefined means discovery does not know the name: the caller fails the request
// with its own error (503 for dstOverrides, 500 for routes) rather than moving its share elsewhere.

export interface BackendTarget {
  readonly name: string;
}

export interface BackendResolver<T extends BackendTarget> {
  resolve(request: { readonly authority: string; readonly origDst: undefined }): T | undefined | Promise<T | undefined>;
}

/** The target of backend `authority` of `logical`; see the contract above. */
export function resolveBackend<T extends BackendTarget>(
  backends: BackendResolver<T>,
  logical: T,
  authority: string,
): T | undefined | Promise<T | undefined> {
  if (authority === logical.name) return logical;
  return backends.resolve({ authority, origDst: undefined });
}
