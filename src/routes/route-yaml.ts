// parseRoutesYaml: read every HTTPRoute and GRPCRoute in a multi-document YAML file, each with its
// file and line, so one bad document is reported (file, line, field) while the good ones are
// still returned.
//
// Contract: never throws for bad input; one result per non-empty document (or per item of a
// `kind: List` / `HTTPRouteList` / `GRPCRouteList` document), in file order. YAML is read as YAML
// 1.1, as kubectl reads it, except that timestamps stay strings (creationTimestamp stays RFC 3339
// text). Problems carry the line of the field they are about.

import { LineCounter, parseAllDocuments } from 'yaml';
import { nodeLine } from '../text/yaml-node-line.ts';
import type { RouteValidationError } from './route-errors.ts';
import { type RouteProblem, RouteYamlError, type RouteYamlProblem } from './route-errors.ts';
import { type FieldPath, isMapping } from './route-fields.ts';
import { isRouteObject, parseRoute } from './route-parse.ts';
import type { Route } from './route-types.ts';

interface DocumentPlace {
  readonly file: string;
  /** The 1-based line where the object starts. */
  readonly line: number;
  /** The 0-based index of the YAML document in the file. */
  readonly index: number;
  /** The 0-based index in `items` when the document is a list. */
  readonly item?: number;
}

/** One object of a YAML file: a valid route (and what of it nodemesh does not implement), or why not. */
export type RouteDocumentResult =
  | (DocumentPlace & { readonly ok: true; readonly route: Route; readonly unsupported: readonly RouteProblem[] })
  | (DocumentPlace & { readonly ok: false; readonly error: RouteValidationError | RouteYamlError });

export interface ParseRoutesYamlOptions {
  /** Objects of other kinds: report them (default) or leave them out. */
  readonly otherKinds?: 'error' | 'skip';
  /** The namespace of objects without one; `default`. */
  readonly defaultNamespace?: string;
}

const MAX_ALIAS_COUNT = 100;
const LIST_KINDS = ['List', 'HTTPRouteList', 'GRPCRouteList'];

export function parseRoutesYaml(
  text: string,
  file: string,
  options: ParseRoutesYamlOptions = {},
): RouteDocumentResult[] {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, {
    lineCounter,
    version: '1.1',
    customTags: (tags) => tags.filter((tag) => typeof tag === 'string' || tag.tag !== 'tag:yaml.org,2002:timestamp'),
  });
  const lineAt = (offset: number): number => Math.max(1, lineCounter.linePos(offset).line);
  const results: RouteDocumentResult[] = [];

  docs.forEach((doc, index) => {
    const contents = doc.contents;
    const line = lineAt(contents?.range[0] ?? doc.range[0]);
    const yamlError = (problems: RouteYamlProblem[]): void => {
      results.push({ ok: false, error: new RouteYamlError(file, problems), file, line, index });
    };
    if (doc.errors.length > 0) {
      yamlError(
        doc.errors.map((e) => ({
          line: e.linePos?.[0].line ?? line,
          column: e.linePos?.[0].col ?? 1,
          message: (e.message.split('\n')[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, ''),
        })),
      );
      return;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (err) {
      yamlError([{ line, column: 1, message: err instanceof Error ? err.message : String(err) }]);
      return;
    }
    if (value === null || value === undefined) return;

    const lineOfPath = (path: FieldPath): number => nodeLine(contents, path, lineAt) ?? line;
    const parseOne = (obj: unknown, prefix: FieldPath, item?: number): void => {
      if (options.otherKinds === 'skip' && !isRouteObject(obj)) return;
      const place = { file, line: lineOfPath(prefix), index, ...(item === undefined ? {} : { item }) };
      const result = parseRoute(obj, {
        file,
        line: place.line,
        lineOf: (p) => lineOfPath([...prefix, ...p]),
        ...(options.defaultNamespace === undefined ? {} : { defaultNamespace: options.defaultNamespace }),
      });
      results.push(
        result.ok
          ? { ...place, ok: true, route: result.route, unsupported: result.unsupported }
          : { ...place, ok: false, error: result.error },
      );
    };

    if (isMapping(value) && LIST_KINDS.includes(String(value['kind'])) && Array.isArray(value['items'])) {
      value['items'].forEach((obj: unknown, i) => parseOne(obj, ['items', i], i));
    } else {
      parseOne(value, []);
    }
  });
  return results;
}
