// parseServiceProfilesYaml: read every ServiceProfile in a multi-document YAML file, each with its
// file and line, so one bad document is reported (file, line, field) while the good ones are
// still returned.
//
// Contract: never throws for bad input; returns one result per non-empty document (or per item of
// a `kind: List` document, as `kubectl get -o yaml` writes), in file order. YAML is read as YAML
// 1.1, the way kubectl reads it (`yes`/`on` are booleans), except that timestamps stay strings
// (as they do for kubectl). Problems carry the line of the field they are about.

import { LineCounter, parseAllDocuments } from 'yaml';
import { nodeLine } from '../text/yaml-node-line.ts';
import { ProfileValidationError, ProfileYamlError, type YamlProblem } from './profile-errors.ts';
import { type FieldPath, isMapping } from './profile-fields.ts';
import { parseServiceProfile } from './profile-parse.ts';
import { SERVICE_PROFILE_KIND, type ServiceProfile } from './profile-types.ts';

interface DocumentPlace {
  readonly file: string;
  /** The 1-based line where the object starts. */
  readonly line: number;
  /** The 0-based index of the YAML document in the file. */
  readonly index: number;
  /** The 0-based index in `items` when the document is a `kind: List`. */
  readonly item?: number;
}

/** One object of a YAML file: a valid profile, or why it is not one. */
export type ProfileDocumentResult =
  | (DocumentPlace & { readonly ok: true; readonly profile: ServiceProfile })
  | (DocumentPlace & { readonly ok: false; readonly error: ProfileValidationError | ProfileYamlError });

export interface ParseYamlOptions {
  /** What to do with objects of another kind: report them (default) or leave them out. */
  readonly otherKinds?: 'error' | 'skip';
}

const MAX_ALIAS_COUNT = 100;

/** Every ServiceProfile in `text` (the contents of `file`), one result per object. */
export function parseServiceProfilesYaml(
  text: string,
  file: string,
  options: ParseYamlOptions = {},
): ProfileDocumentResult[] {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, {
    lineCounter,
    version: '1.1',
    customTags: (tags) => tags.filter((tag) => typeof tag === 'string' || tag.tag !== 'tag:yaml.org,2002:timestamp'),
  });
  const lineAt = (offset: number): number => Math.max(1, lineCounter.linePos(offset).line);
  const results: ProfileDocumentResult[] = [];

  docs.forEach((doc, index) => {
    const contents = doc.contents;
    const line = lineAt(contents?.range[0] ?? doc.range[0]);
    if (doc.errors.length > 0) {
      const problems: YamlProblem[] = doc.errors.map((e) => ({
        line: e.linePos?.[0].line ?? line,
        column: e.linePos?.[0].col ?? 1,
        message: (e.message.split('\n')[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, ''),
      }));
      results.push({ ok: false, error: new ProfileYamlError(file, problems), file, line, index });
      return;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      results.push({ ok: false, error: new ProfileYamlError(file, [{ line, column: 1, message }]), file, line, index });
      return;
    }
    if (value === null || value === undefined) return; // an empty document

    const lineOfPath = (path: FieldPath): number => nodeLine(contents, path, lineAt) ?? line;
    const parseOne = (obj: unknown, prefix: FieldPath, item?: number): void => {
      if (options.otherKinds === 'skip' && !(isMapping(obj) && obj['kind'] === SERVICE_PROFILE_KIND)) return;
      const place = { file, line: lineOfPath(prefix), index, ...(item === undefined ? {} : { item }) };
      try {
        const profile = parseServiceProfile(obj, {
          file,
          line: place.line,
          lineOf: (p) => lineOfPath([...prefix, ...p]),
        });
        results.push({ ...place, ok: true, profile });
      } catch (err) {
        if (!(err instanceof ProfileValidationError)) throw err;
        results.push({ ...place, ok: false, error: err });
      }
    };

    if (isMapping(value) && isListKind(value['kind']) && Array.isArray(value['items'])) {
      value['items'].forEach((obj: unknown, i) => parseOne(obj, ['items', i], i));
    } else {
      parseOne(value, []);
    }
  });
  return results;
}

// `List` (kubectl get -o yaml of several objects) or `ServiceProfileList` (the API's list kind).
function isListKind(kind: unknown): boolean {
  return kind === 'List' || kind === `${SERVICE_PROFILE_KIND}List`;
}
