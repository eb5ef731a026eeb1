// protoToProfile: a ServiceProfile with one route per rpc of the services in a .proto file, as
// `linkerd profile --proto` builds one: each rpc is `POST /package.Service/Method`.
//
// Contract: pure; reads only what routes need (the package, services and their rpcs, and an rpc's
// `idempotency_level` option) with a small tokenizer, not a full protobuf parser: messages, enums,
// imports and other options are skipped by matching braces. An rpc whose idempotency_level is
// IDEMPOTENT or NO_SIDE_EFFECTS is retryable (Linkerd's rule). Problems (unbalanced braces, an rpc
// that does not parse, no rpcs at all) throw one ProfileSourceError with lines.

import {
  SERVICE_PROFILE_API_VERSIONS,
  SERVICE_PROFILE_KIND,
  serviceProfileName,
  type RouteSpec,
  type ServiceName,
  type ServiceProfile,
} from '../../profiles/index.ts';
import { pathTemplateToRegex } from './profile-openapi-paths.ts';
import { ProfileSourceError, type SourceProblem } from './profile-source-error.ts';

export interface ProtoOptions {
  readonly file: string;
  readonly name: ServiceName;
}

/** One rpc found in a .proto file. */
export interface ProtoRpc {
  readonly service: string;
  readonly method: string;
  /** `/package.Service/Method`, the gRPC request path. */
  readonly path: string;
  readonly retryable: boolean;
  readonly line: number;
}

interface Token {
  readonly text: string;
  readonly line: number;
  /** A quoted string literal (text holds it with its quotes). */
  readonly quoted: boolean;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_.]*$/;
const RETRYABLE_LEVELS = ['IDEMPOTENT', 'NO_SIDE_EFFECTS'];

/** The ServiceProfile for the .proto source `text`; throws ProfileSourceError. */
export function protoToProfile(text: string, opts: ProtoOptions): ServiceProfile {
  const rpcs = parseProtoRpcs(text, opts.file);
  const routes = rpcs.map((rpc): RouteSpec => ({
    name: `POST ${rpc.path}`,
    condition: { method: 'POST', pathRegex: pathTemplateToRegex(rpc.path) },
    ...(rpc.retryable ? { isRetryable: true } : {}),
  }));
  return {
    apiVersion: SERVICE_PROFILE_API_VERSIONS[0],
    kind: SERVICE_PROFILE_KIND,
    metadata: { name: serviceProfileName(opts.name), namespace: opts.name.namespace },
    spec: { routes },
  };
}

/** Every rpc of every service in `text`, in file order. */
export function parseProtoRpcs(text: string, file: string): ProtoRpc[] {
  const problems: SourceProblem[] = [];
  const tokens = tokenize(text, file);
  let pkg = '';
  const rpcs: ProtoRpc[] = [];
  let i = 0;
  while (i < tokens.length) {
    const tok = tokens[i] as Token;
    if (tok.text === 'package' && !tok.quoted) {
      const name = tokens[i + 1];
      if (name === undefined || !IDENT.test(name.text) || tokens[i + 2]?.text !== ';') {
        problems.push({ path: 'package', problem: 'does not parse', allowed: 'package a.b.c;', line: tok.line });
      } else {
        pkg = name.text;
      }
      i = skipStatement(tokens, i);
    } else if (tok.text === 'service' && !tok.quoted) {
      const name = tokens[i + 1];
      if (name === undefined || !IDENT.test(name.text) || tokens[i + 2]?.text !== '{') {
        problems.push({
          path: 'service',
          problem: 'does not parse',
          allowed: 'service Name { rpc … }',
          line: tok.line,
        });
        i = skipStatement(tokens, i);
        continue;
      }
      const end = matchingBrace(tokens, i + 2);
      rpcs.push(...serviceRpcs(tokens.slice(i + 3, end), name.text, problems));
      i = end + 1;
    } else {
      i = skipStatement(tokens, i);
    }
  }
  if (problems.length === 0 && rpcs.length === 0) {
    problems.push({
      path: '(document)',
      problem: 'defines no service with an rpc',
      allowed: 'a .proto file with at least one service Name { rpc Method(Req) returns (Resp); }',
    });
  }
  if (problems.length > 0) throw new ProfileSourceError(file, problems);
  // The package is known only once read; services before it (unusual) are still in it.
  return rpcs.map((rpc) => ({ ...rpc, path: `/${pkg === '' ? '' : `${pkg}.`}${rpc.service}/${rpc.method}` }));
}

function serviceRpcs(body: readonly Token[], service: string, problems: SourceProblem[]): ProtoRpc[] {
  const out: ProtoRpc[] = [];
  let i = 0;
  while (i < body.length) {
    const tok = body[i] as Token;
    if (tok.text !== 'rpc' || tok.quoted) {
      i = skipStatement(body, i);
      continue;
    }
    const name = body[i + 1];
    // rpc Name ( [stream] Req ) returns ( [stream] Resp ) ; | { options }
    const close = body.findIndex((t, k) => k > i && t.text === ')');
    const returnsAt = close + 1;
    const close2 = body.findIndex((t, k) => k > returnsAt && t.text === ')');
    if (
      name === undefined ||
      !IDENT.test(name.text) ||
      name.text.includes('.') ||
      body[i + 2]?.text !== '(' ||
      close === -1 ||
      body[returnsAt]?.text !== 'returns' ||
      body[returnsAt + 1]?.text !== '(' ||
      close2 === -1
    ) {
      problems.push({
        path: `service ${service}`,
        problem: `rpc ${name?.text ?? ''} does not parse`,
        allowed: 'rpc Method(Request) returns (Response); or with { option … }',
        line: tok.line,
      });
      i = skipStatement(body, i);
      continue;
    }
    let retryable = false;
    let next = close2 + 1;
    if (body[next]?.text === '{') {
      const end = matchingBrace(body, next);
      retryable = isRetryable(body.slice(next + 1, end));
      next = end + 1;
      if (body[next]?.text === ';') next++;
    } else if (body[next]?.text === ';') {
      next++;
    }
    out.push({ service, method: name.text, path: '', retryable, line: tok.line }); // path: once the package is known
    i = next;
  }
  return out;
}

/** `option idempotency_level = IDEMPOTENT;` (or NO_SIDE_EFFECTS) among an rpc's options. */
function isRetryable(options: readonly Token[]): boolean {
  for (let i = 0; i + 2 < options.length; i++) {
    if (options[i]?.text === 'idempotency_level' && options[i + 1]?.text === '=') {
      return RETRYABLE_LEVELS.includes(options[i + 2]?.text ?? '');
    }
  }
  return false;
}

/** The index after the statement starting at `i`: past its `;`, or past its `{…}` block. */
function skipStatement(tokens: readonly Token[], i: number): number {
  for (let k = i; k < tokens.length; k++) {
    const text = (tokens[k] as Token).text;
    if (text === ';') return k + 1;
    if (text === '{') return matchingBrace(tokens, k) + 1;
  }
  return tokens.length;
}

/** The index of the `}` closing the `{` at `open`; the tokenizer guarantees one exists. */
function matchingBrace(tokens: readonly Token[], open: number): number {
  let depth = 0;
  for (let k = open; k < tokens.length; k++) {
    const tok = tokens[k] as Token;
    if (tok.quoted) continue;
    if (tok.text === '{') depth++;
    else if (tok.text === '}' && --depth === 0) return k;
  }
  return tokens.length - 1;
}

/** Identifiers, numbers, string literals and single punctuation; comments dropped; braces checked. */
function tokenize(text: string, file: string): Token[] {
  const tokens: Token[] = [];
  const opened: number[] = [];
  let line = 1;
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === '\n') {
      line++;
      i++;
    } else if (/\s/.test(c)) {
      i++;
    } else if (text.startsWith('//', i)) {
      const end = text.indexOf('\n', i);
      i = end === -1 ? text.length : end;
    } else if (text.startsWith('/*', i)) {
      const end = text.indexOf('*/', i + 2);
      const stop = end === -1 ? text.length : end + 2;
      line += countLines(text.slice(i, stop));
      i = stop;
    } else if (c === '"' || c === "'") {
      let k = i + 1;
      while (k < text.length && text[k] !== c && text[k] !== '\n') k += text[k] === '\\' ? 2 : 1;
      tokens.push({ text: text.slice(i, k + 1), line, quoted: true });
      i = k + 1;
    } else if (/[A-Za-z0-9_.+-]/.test(c)) {
      const match = /^[A-Za-z0-9_.+-]+/.exec(text.slice(i, i + 512)) as RegExpExecArray;
      tokens.push({ text: match[0], line, quoted: false });
      i += match[0].length;
    } else {
      if (c === '{') opened.push(line);
      if (c === '}' && opened.pop() === undefined) {
        throw unbalanced(file, line, 'a "}" closes nothing');
      }
      tokens.push({ text: c, line, quoted: false });
      i++;
    }
  }
  const unclosed = opened.pop();
  if (unclosed !== undefined) throw unbalanced(file, unclosed, 'this "{" is never closed');
  return tokens;
}

function unbalanced(file: string, line: number, problem: string): ProfileSourceError {
  return new ProfileSourceError(file, [
    { path: '(document)', problem, allowed: 'a .proto file with balanced braces', line },
  ]);
}

function countLines(text: string): number {
  let n = 0;
  for (const ch of text) if (ch === '\n') n++;
  return n;
}
