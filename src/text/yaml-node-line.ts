// The line in a YAML document where a field lives, for validation messages that point at the
// user's file (`shop.yaml:12: spec.routes[2].condition.pathRegex …`).

import { isMap, isScalar, isSeq } from 'yaml';

/** The 1-based line of the deepest node on `path` that exists: a field's key, or the list item. */
export function nodeLine(
  root: unknown,
  path: readonly (string | number)[],
  lineAt: (offset: number) => number,
): number | undefined {
  let node: unknown = root;
  let line = rangeLine(node, lineAt);
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value === seg : p.key === seg));
      if (pair === undefined) break;
      line = rangeLine(pair.key, lineAt) ?? line;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      node = node.items[seg];
      if (node === undefined) break;
      line = rangeLine(node, lineAt) ?? line;
    } else {
      break;
    }
  }
  return line;
}

function rangeLine(node: unknown, lineAt: (offset: number) => number): number | undefined {
  if (typeof node !== 'object' || node === null || !('range' in node)) return undefined;
  const range = (node as { range?: unknown }).range;
  return Array.isArray(range) && typeof range[0] === 'number' ? lineAt(range[0]) : undefined;
}
