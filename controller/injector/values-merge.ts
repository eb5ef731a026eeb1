// Merging values files the way Helm merges `--values` files over a chart's values.yaml:
// maps are merged key by key (recursively), anything else (lists, strings, numbers) is replaced,
// and a null in the overlay deletes the key.
//
// Contract: pure; neither input is changed.

export type Values = Record<string, unknown>;

export function mergeValues(base: Values, overlay: Values): Values {
  const out: Values = structuredClone(base);
  for (const [key, value] of Object.entries(overlay)) {
    if (value === null) {
      delete out[key];
    } else if (isMap(value) && isMap(out[key])) {
      out[key] = mergeValues(out[key], value);
    } else {
      out[key] = structuredClone(value);
    }
  }
  return out;
}

function isMap(value: unknown): value is Values {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
