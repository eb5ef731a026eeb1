// An ESLint rule that keeps the layout's import boundaries (ARCHITECTURE.md §4): src/ imports no
// component; proxy/, controller/ and identity/ import src/ and never each other; and named
// packages stay out of folders that must not load them (the sidecar never loads the Kubernetes
// client). Relative imports are resolved against the importing file and judged by the top-level
// folder they land in.

import path from 'node:path';
import type { Rule } from 'eslint';

export interface BoundaryZone {
  /** A top-level folder of the repository, e.g. `proxy`. */
  readonly folder: string;
  /** Top-level folders files in `folder` may import from (their own folder is always allowed). */
  readonly mayImport: readonly string[];
  /** Package names (or prefixes ending in `/`) files in `folder` must not import. */
  readonly forbiddenPackages?: readonly string[];
}

interface RuleOptions {
  readonly zones: readonly BoundaryZone[];
}

const rule: Rule.RuleModule = {
  meta: {
    type: 'problem',
    docs: { description: 'Enforce the import boundaries between top-level folders.' },
    schema: [
      {
        type: 'object',
        properties: { zones: { type: 'array' } },
        required: ['zones'],
        additionalProperties: false,
      },
    ],
    messages: {
      crossing:
        '{{from}}/ must not import from {{to}}/ ("{{source}}"): {{from}}/ may import only from {{allowed}} (ARCHITECTURE.md §4).',
      forbiddenPackage: '{{from}}/ must not import the package "{{source}}" (ARCHITECTURE.md §1 and §4).',
    },
  },
  create(context) {
    const options = context.options[0] as RuleOptions;
    const root = context.cwd;
    const file = context.filename;
    const from = topFolder(root, file);
    const zone = options.zones.find((z) => z.folder === from);
    if (zone === undefined) return {};

    const check = (node: Rule.Node, source: unknown): void => {
      if (typeof source !== 'string') return;
      if (source.startsWith('.')) {
        const to = topFolder(root, path.resolve(path.dirname(file), source));
        if (to === undefined || to === from || zone.mayImport.includes(to)) return;
        const allowed = [from, ...zone.mayImport].map((f) => `${f}/`).join(', ');
        context.report({ node, messageId: 'crossing', data: { from, to, source, allowed } });
        return;
      }
      const banned = zone.forbiddenPackages?.some((p) =>
        p.endsWith('/') ? source.startsWith(p) : source === p || source.startsWith(`${p}/`),
      );
      if (banned === true) context.report({ node, messageId: 'forbiddenPackage', data: { from, source } });
    };

    return {
      ImportDeclaration: (node) => check(node, node.source.value),
      ExportAllDeclaration: (node) => check(node, node.source.value),
      ExportNamedDeclaration: (node) => {
        if (node.source) check(node, node.source.value);
      },
      ImportExpression: (node) => {
        if (node.source.type === 'Literal') check(node, node.source.value);
      },
    };
  },
};

function topFolder(root: string, file: string): string | undefined {
  const rel = path.relative(root, file);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  const [first, second] = rel.split(path.sep);
  return second === undefined ? undefined : first;
}

export const boundariesPlugin = { rules: { 'import-boundaries': rule } };

/** The zones of ARCHITECTURE.md §4. */
export const LAYOUT_ZONES: readonly BoundaryZone[] = [
  { folder: 'src', mayImport: [] },
  { folder: 'proxy', mayImport: ['src'], forbiddenPackages: ['@kubernetes/client-node'] },
  { folder: 'controller', mayImport: ['src'] },
  { folder: 'identity', mayImport: ['src'] },
];
