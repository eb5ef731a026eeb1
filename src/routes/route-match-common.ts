// What HTTP and gRPC matching share: reading request headers and compiling header matches.
//
// Contract: internal to src/routes. Header names are looked up lower-case (as Node.js delivers
// them); a header sent several times is matched as its values joined with ", " (RFC 9110 §5.3).

import { compileRouteRegex } from './route-regex.ts';
import type { HeaderMatch } from './route-types.ts';

/** Request headers with lower-case names, as Node.js's IncomingHttpHeaders or http2 headers hold them. */
export type RequestHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

export type ValueTest = (value: string) => boolean;

/** The value of header `name` (any case), or undefined when absent. */
export function headerValue(headers: RequestHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : value.join(', ');
}

/** A test for a value (Exact or anchored RegularExpression); undefined when a regex does not compile. */
export function compileValueTest(type: 'Exact' | 'RegularExpression', value: string): ValueTest | undefined {
  if (type === 'Exact') return (v) => v === value;
  const compiled = compileRouteRegex(value);
  if (!compiled.ok) return undefined;
  const regex = compiled.regex;
  return (v) => regex.test(v);
}

/** A test over all header matches (ANDed); undefined when one cannot be compiled. */
export function compileHeaderTests(
  matches: readonly HeaderMatch[],
): ((headers: RequestHeaders) => boolean) | undefined {
  const tests: { readonly name: string; readonly test: ValueTest }[] = [];
  for (const m of matches) {
    const test = compileValueTest(m.type, m.value);
    if (test === undefined) return undefined;
    tests.push({ name: m.name, test });
  }
  return (headers) =>
    tests.every(({ name, test }) => {
      const value = headerValue(headers, name);
      return value !== undefined && test(value);
    });
}
