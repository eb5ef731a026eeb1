// How the page prints numbers: the same forms as the CLI's tables, "-" for no data.

export function percent(value: number | null | undefined): string {
  return value === null || value === undefined ? '-' : `${(value * 100).toFixed(2)}%`;
}

export function millis(value: number | null | undefined): string {
  if (value === null || value === undefined) return '-';
  return value < 10 ? `${value.toFixed(1)}ms` : `${Math.round(value)}ms`;
}

export function rate(value: number | null | undefined): string {
  return value === null || value === undefined ? '-' : value.toFixed(1);
}

/** A counter as the proxy reports it (integers stay exact). */
export function count(value: number | null | undefined): string {
  return value === null || value === undefined ? '-' : String(value);
}

/** The first label of an identity name (`web.shop.serviceaccount…` → `web.shop`), for tight spots. */
export function shortId(id: string | null): string {
  if (id === null) return '-';
  const at = id.indexOf('.serviceaccount.');
  return at > 0 ? id.slice(0, at) : id;
}

/** mTLS state of an edge for colours and words. */
export function mtlsClass(share: number | null): 'full' | 'partial' | 'none' | 'unknown' {
  if (share === null) return 'unknown';
  if (share >= 1) return 'full';
  return share > 0 ? 'partial' : 'none';
}
