// dstOverrides weights: a Kubernetes quantity (`1`, `500m`, `0.5`, `1e3`, `2Ki`) converted to
// "decimillis" the way Linkerd's controller does (`Quantity.MilliValue() * 10`): `1` is 10000,
// `500m` is 5000, `0.5` is 5000. MilliValue rounds a fraction of a milli up, so `0.0001` is 10.
//
// Contract: pure; exact decimal arithmetic on bigint (no float rounding); never throws. Weights are
// relative; 0 is allowed (that backend gets no traffic); the result must fit the wire's uint32.

/** The largest weight the wire can carry, in decimillis (uint32). */
export const MAX_WEIGHT_DECIMILLIS = 0xffff_ffff;

/** What a weight may be, for messages. */
export const WEIGHT_ALLOWED =
  'a Kubernetes quantity from 0 to 429496.729, e.g. 1, 100, 0.5 or "500m" (weights are relative; 0 sends that backend no traffic)';

export type WeightResult =
  { readonly ok: true; readonly decimillis: number } | { readonly ok: false; readonly reason: string };

// <sign>?<digits>[.<digits>] or .<digits>, then a suffix: binary SI, decimal SI, or an exponent.
const QUANTITY = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/;

const DECIMAL_SUFFIX: Readonly<Record<string, number>> = { n: -9, u: -6, m: -3, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SUFFIX: Readonly<Record<string, bigint>> = {
  Ki: 1n << 10n,
  Mi: 1n << 20n,
  Gi: 1n << 30n,
  Ti: 1n << 40n,
  Pi: 1n << 50n,
  Ei: 1n << 60n,
};

/** Decimillis for a weight as YAML gives it (a number or a quantity string). */
export function parseWeight(value: number | string): WeightResult {
  const text = typeof value === 'number' ? numberText(value) : value.trim();
  const match = text === undefined ? null : QUANTITY.exec(text);
  if (match === null) return { ok: false, reason: `${JSON.stringify(value)} is not a Kubernetes quantity` };
  const [, sign = '', number = '', suffix = ''] = match;

  const [whole = '', fraction = ''] = number.split('.');
  const digits = BigInt(`${whole}${fraction}` || '0');
  // Work in millis: value * 1000 = digits * 10^(3 - fraction.length) * suffix.
  let exponent = 3 - fraction.length;
  let factor = 1n;
  if (suffix in BINARY_SUFFIX) factor = BINARY_SUFFIX[suffix] ?? 1n;
  else if (suffix in DECIMAL_SUFFIX) exponent += DECIMAL_SUFFIX[suffix] ?? 0;
  else if (suffix !== '') exponent += Number(suffix.slice(1));

  if (digits === 0n) return { ok: true, decimillis: 0 };
  if (sign === '-') return { ok: false, reason: `${JSON.stringify(value)} is negative` };
  const tooLarge: WeightResult = { ok: false, reason: `${JSON.stringify(value)} is too large` };
  if (exponent > 12) return tooLarge; // any non-zero value is then over the limit
  const scaled = digits * factor;
  let millis: bigint;
  if (exponent >= 0) millis = scaled * 10n ** BigInt(exponent);
  // scaled < 10^(digits + 19), so a larger divisor leaves a fraction of a milli: rounded up to 1.
  else if (-exponent > number.length + 19) millis = 1n;
  else millis = ceilDiv(scaled, 10n ** BigInt(-exponent));
  const decimillis = millis * 10n;
  if (decimillis > BigInt(MAX_WEIGHT_DECIMILLIS)) return tooLarge;
  return { ok: true, decimillis: Number(decimillis) };
}

function ceilDiv(a: bigint, b: bigint): bigint {
  return (a + b - 1n) / b;
}

// A YAML number as quantity text: 0.5 → "0.5", 1e-7 → "1e-7", 1e21 → "1e+21".
function numberText(n: number): string | undefined {
  return Number.isFinite(n) ? String(n) : undefined;
}
