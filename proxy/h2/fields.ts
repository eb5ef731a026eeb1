// The rules an HTTP/2 header list must follow to be a well-formed request, response or trailer
// section (RFC 9113 §8.1–8.3), checked on every header block the connection receives. A list
// that breaks them is a malformed message: only its stream is reset (PROTOCOL_ERROR), never
// forwarded — in a proxy that translates to HTTP/1 this is what stops request smuggling through
// injected line breaks, connection-specific fields or a lying content-length.
//
// Contract: fields are flat [name, value, …] as HPACK decoded them. Each check returns undefined
// when the list is well formed, or a short description of the first problem found. The checks
// allocate nothing on the well-formed path. checkFields checks the characters of the fields the
// decoder could not vouch for (HpackDecoder.lastUnchecked; all when not given): a field from the
// static table, or from a dynamic-table entry fieldCharsValid approved when it was added, passed
// the same character checks already.

/** Which section a header list is. */
export type FieldSection = 'request' | 'response' | 'trailers' | 'informational';

/** 1 for the characters of a token (RFC 9110 §5.6.2) that may appear in an HTTP/2 field name (lower case only). */
const NAME_CHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz") NAME_CHAR[c.charCodeAt(0)] = 1;

/**
 * Whether `name` is a connection-specific field HTTP/2 forbids (RFC 9113 §8.2.2): connection,
 * keep-alive, proxy-connection, transfer-encoding, upgrade. By length first: most names are
 * none of those lengths, and a decoded name is not an internalized string (no pointer compare).
 */
function connectionSpecific(name: string): boolean {
  switch (name.length) {
    case 7:
      return name === 'upgrade';
    case 10:
      return name === 'connection' || name === 'keep-alive';
    case 16:
      return name === 'proxy-connection';
    case 17:
      return name === 'transfer-encoding';
    default:
      return false;
  }
}

/** A three-digit status code from 100 to 999 (RFC 9110 §15). */
function validStatus(status: string): boolean {
  if (status.length !== 3) return false;
  const a = status.charCodeAt(0);
  const b = status.charCodeAt(1);
  const c = status.charCodeAt(2);
  return a >= 49 && a <= 57 && b >= 48 && b <= 57 && c >= 48 && c <= 57;
}

/**
 * Checks a header list received in a HEADERS block. Requests need :method, and :scheme and :path
 * unless the method is CONNECT (which needs :authority and forbids both); responses and
 * informational responses need a three-digit :status; trailers carry no pseudo-header.
 */
export function checkFields(
  fields: readonly string[],
  section: FieldSection,
  unchecked?: readonly number[],
): string | undefined {
  let next = 0; // index into `unchecked`
  let regular = false;
  let method: string | undefined;
  let scheme = false;
  let path = false;
  let authority = false;
  let status: string | undefined;
  for (let i = 0; i < fields.length; i += 2) {
    const name = fields[i]!;
    const value = fields[i + 1]!;
    let checkChars = unchecked === undefined;
    if (!checkChars && next < unchecked!.length && unchecked![next] === i >> 1) {
      checkChars = true;
      next++;
    }
    if (checkChars) {
      const valueProblem = checkValue(value);
      if (valueProblem !== undefined) return `${name}: ${valueProblem}`;
    }
    if (name.charCodeAt(0) === 58 /* ':' */) {
      if (regular) return `pseudo-header ${name} after a regular field`;
      if (section === 'trailers') return `pseudo-header ${name} in trailers`;
      if (section === 'request') {
        if (name === ':method') {
          if (method !== undefined) return 'repeated :method';
          if (value === '') return 'empty :method';
          method = value;
        } else if (name === ':scheme') {
          if (scheme) return 'repeated :scheme';
          scheme = true;
        } else if (name === ':path') {
          if (path) return 'repeated :path';
          if (value === '') return 'empty :path';
          path = true;
        } else if (name === ':authority') {
          if (authority) return 'repeated :authority';
          authority = true;
        } else return `pseudo-header ${name} is not allowed in a request`;
      } else {
        if (name !== ':status') return `pseudo-header ${name} is not allowed in a response`;
        if (status !== undefined) return 'repeated :status';
        status = value;
      }
      continue;
    }
    regular = true;
    if (checkChars) {
      const nameProblem = checkName(name);
      if (nameProblem !== undefined) return nameProblem;
    }
    if (connectionSpecific(name)) return `connection-specific field ${name}`;
    if (name === 'te' && value !== 'trailers') return 'te other than "trailers"';
  }
  if (section === 'request') {
    if (method === undefined) return 'missing :method';
    if (method === 'CONNECT') {
      if (scheme || path) return 'CONNECT with :scheme or :path';
      if (!authority) return 'CONNECT without :authority';
    } else if (!scheme || !path) return `missing ${scheme ? ':path' : ':scheme'}`;
  } else if (section === 'response' || section === 'informational') {
    if (status === undefined) return 'missing :status';
    if (!validStatus(status)) return `invalid :status ${JSON.stringify(status.slice(0, 8))}`;
  }
  return undefined;
}

/** The value of the first field called `name`; undefined when there is none. */
export function fieldValue(fields: readonly string[], name: string): string | undefined {
  for (let i = 0; i < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

/** The response's :status as a number (call after checkFields accepted the list). */
export function statusOf(fields: readonly string[]): number {
  return Number(fieldValue(fields, ':status') ?? 0);
}

/**
 * The content-length a header list declares: -1 when it has none, -2 when it is not a valid
 * length or several differing values (a malformed message).
 */
export function contentLengthOf(fields: readonly string[]): number {
  let length = -1;
  for (let i = 0; i < fields.length; i += 2) {
    if (fields[i] !== 'content-length') continue;
    const value = fields[i + 1]!;
    if (!/^\d{1,15}$/.test(value)) return -2;
    const n = Number(value);
    if (length >= 0 && n !== length) return -2;
    length = n;
  }
  return length;
}

/**
 * Whether a field's characters pass checkFields' character checks (the value's; the name's for a
 * regular field): the HPACK decoder's validField, so indexed fields need no second look.
 */
export function fieldCharsValid(name: string, value: string): boolean {
  return checkValue(value) === undefined && (name.charCodeAt(0) === 58 /* ':' */ || checkName(name) === undefined);
}

function checkName(name: string): string | undefined {
  if (name.length === 0) return 'empty field name';
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 128 || NAME_CHAR[c] !== 1) {
      return c >= 65 && c <= 90 ? `upper-case field name ${name}` : `invalid field name ${JSON.stringify(name)}`;
    }
  }
  return undefined;
}

function checkValue(value: string): string | undefined {
  const n = value.length;
  if (n === 0) return undefined;
  const first = value.charCodeAt(0);
  const last = value.charCodeAt(n - 1);
  if (first === 32 || first === 9 || last === 32 || last === 9) return 'value with leading or trailing whitespace';
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c === 0 || c === 10 || c === 13) return 'value with NUL, CR or LF';
  }
  return undefined;
}
