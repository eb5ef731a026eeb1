// gRPC status names and the two fallbacks a client needs when a response carries no grpc-status:
// the HTTP status (grpc/doc/http-grpc-status-mapping.md) and the RST_STREAM code
// (grpc/doc/PROTOCOL-HTTP2.md, "Errors").
//
// Contract: pure functions, no I/O. Names are the canonical upper-case gRPC names ('UNAVAILABLE');
// an unknown numeric grpc-status becomes 'UNKNOWN' (the spec's rule for values outside the table).

/** The status names, indexed by their wire number. */
export const STATUS_NAMES = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
] as const;

export type StatusName = (typeof STATUS_NAMES)[number];

/** The name of a grpc-status header value ('14' → 'UNAVAILABLE'); 'UNKNOWN' for anything else. */
export function statusNameOf(value: string | number): StatusName {
  const text = String(value).trim();
  if (!/^\d{1,2}$/.test(text)) return 'UNKNOWN';
  return STATUS_NAMES[Number(text)] ?? 'UNKNOWN';
}

/** The status of a response that has an HTTP status but no grpc-status. */
export function statusFromHttp(httpStatus: number): StatusName {
  switch (httpStatus) {
    case 400:
    case 431:
      return 'INTERNAL';
    case 401:
      return 'UNAUTHENTICATED';
    case 403:
      return 'PERMISSION_DENIED';
    case 404:
      return 'UNIMPLEMENTED';
    case 429:
    case 502:
    case 503:
    case 504:
      return 'UNAVAILABLE';
    default:
      // 1xx headers should have been skipped by HTTP/2 itself; 200 without grpc-status is not OK.
      return httpStatus >= 100 && httpStatus < 200 ? 'INTERNAL' : 'UNKNOWN';
  }
}

// HTTP/2 error codes (RFC 9113 §7) the mapping names.
const REFUSED_STREAM = 0x7;
const CANCEL = 0x8;
const ENHANCE_YOUR_CALM = 0xb;
const INADEQUATE_SECURITY = 0xc;

/** The status of a stream the server reset with RST_STREAM `code` before any grpc-status. */
export function statusFromRstCode(code: number): StatusName {
  switch (code) {
    case REFUSED_STREAM:
      return 'UNAVAILABLE';
    case CANCEL:
      return 'CANCELLED';
    case ENHANCE_YOUR_CALM:
      return 'RESOURCE_EXHAUSTED';
    case INADEQUATE_SECURITY:
      return 'PERMISSION_DENIED';
    default:
      return 'INTERNAL';
  }
}
