// The HPACK static table (RFC 7541 Appendix A) and the lookups the encoder uses on it.
//
// Contract: index 1..61 as on the wire; index 0 is unused. The name and value strings are module
// constants, so a decoder that returns them hands out the same string every time. The lookup maps
// are built once at module load and never change.

/** Number of entries in the static table; dynamic table indexes start after it. */
export const STATIC_TABLE_LENGTH = 61;

const ENTRIES: readonly (readonly [string, string])[] = [
  [':authority', ''],
  [':method', 'GET'],
  [':method', 'POST'],
  [':path', '/'],
  [':path', '/index.html'],
  [':scheme', 'http'],
  [':scheme', 'https'],
  [':status', '200'],
  [':status', '204'],
  [':status', '206'],
  [':status', '304'],
  [':status', '400'],
  [':status', '404'],
  [':status', '500'],
  ['accept-charset', ''],
  ['accept-encoding', 'gzip, deflate'],
  ['accept-language', ''],
  ['accept-ranges', ''],
  ['accept', ''],
  ['access-control-allow-origin', ''],
  ['age', ''],
  ['allow', ''],
  ['authorization', ''],
  ['cache-control', ''],
  ['content-disposition', ''],
  ['content-encoding', ''],
  ['content-language', ''],
  ['content-length', ''],
  ['content-location', ''],
  ['content-range', ''],
  ['content-type', ''],
  ['cookie', ''],
  ['date', ''],
  ['etag', ''],
  ['expect', ''],
  ['expires', ''],
  ['from', ''],
  ['host', ''],
  ['if-match', ''],
  ['if-modified-since', ''],
  ['if-none-match', ''],
  ['if-range', ''],
  ['if-unmodified-since', ''],
  ['last-modified', ''],
  ['link', ''],
  ['location', ''],
  ['max-forwards', ''],
  ['proxy-authenticate', ''],
  ['proxy-authorization', ''],
  ['range', ''],
  ['referer', ''],
  ['refresh', ''],
  ['retry-after', ''],
  ['server', ''],
  ['set-cookie', ''],
  ['strict-transport-security', ''],
  ['transfer-encoding', ''],
  ['user-agent', ''],
  ['vary', ''],
  ['via', ''],
  ['www-authenticate', ''],
];

/** Names by wire index (entry 0 is an unused empty string). */
export const STATIC_NAMES: readonly string[] = ['', ...ENTRIES.map((e) => e[0])];
/** Values by wire index (entry 0 is an unused empty string). */
export const STATIC_VALUES: readonly string[] = ['', ...ENTRIES.map((e) => e[1])];

/** A name of the static table: its lowest index and the index of each of its values. */
export interface StaticName {
  readonly index: number;
  readonly values: ReadonlyMap<string, number>;
}

const byName = new Map<string, { index: number; values: Map<string, number> }>();
for (let i = 1; i <= STATIC_TABLE_LENGTH; i++) {
  const name = STATIC_NAMES[i]!;
  const value = STATIC_VALUES[i]!;
  let entry = byName.get(name);
  if (entry === undefined) {
    entry = { index: i, values: new Map() };
    byName.set(name, entry);
  }
  if (!entry.values.has(value)) entry.values.set(value, i);
}

/** The static table's entry for `name` (one Map lookup), or undefined when the name is not in it. */
export function staticName(name: string): StaticName | undefined {
  return byName.get(name);
}

/** The lowest static index whose name is `name`, or 0 when none. */
export function staticNameIndex(name: string): number {
  return byName.get(name)?.index ?? 0;
}

/** The static index of exactly `name: value`, or 0 when none. */
export function staticExactIndex(name: string, value: string): number {
  return byName.get(name)?.values.get(value) ?? 0;
}
