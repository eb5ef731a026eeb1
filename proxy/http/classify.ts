// Default response classification (linkerd.md §2.2, §4.7): a gRPC status decides when present
// (failures: UNKNOWN, DEADLINE_EXCEEDED, PERMISSION_DENIED, INTERNAL, UNAVAILABLE, DATA_LOSS),
// else 5xx is a failure. ServiceProfile response classes replace this per route.

const GRPC_FAILURES = new Set(['2', '4', '7', '13', '14', '15']);

export function classifyDefault(status: number, grpcStatus: string | undefined): 'success' | 'failure' {
  if (grpcStatus !== undefined) return GRPC_FAILURES.has(grpcStatus) ? 'failure' : 'success';
  return status >= 500 ? 'failure' : 'success';
}
