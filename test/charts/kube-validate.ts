// Validates rendered Kubernetes objects: kubernetes-models' schema validation (types, enums,
// required fields), plus a strict unknown-field check, which kubernetes-models does not do. The
// strict check reads the field names of each API type from the package's type declarations
// (`export interface IContainer { "args"?: Array<string>; … }`) and follows typed fields, arrays and
// maps down the object. Fields typed as free-form JSON (a CRD schema's `default`, `enum`,
// `x-kubernetes-preserve-unknown-fields` contents) are not followed.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  MutatingWebhookConfiguration,
  ValidatingWebhookConfiguration,
} from 'kubernetes-models/admissionregistration.k8s.io/v1';
import { CustomResourceDefinition } from 'kubernetes-models/apiextensions.k8s.io/v1';
import { DaemonSet, Deployment } from 'kubernetes-models/apps/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { ConfigMap, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import { REPO, type K8sObject } from './chart-harness.ts';

type ModelClass = new (data: never) => { validate(): void };

/** apiVersion/kind → model class, for every kind the charts render. */
const MODELS: Readonly<Record<string, ModelClass>> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
  'apps/v1/Deployment': Deployment,
  'apps/v1/DaemonSet': DaemonSet,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'rbac.authorization.k8s.io/v1/ClusterRole': ClusterRole,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': ClusterRoleBinding,
  'rbac.authorization.k8s.io/v1/Role': Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding,
  'admissionregistration.k8s.io/v1/MutatingWebhookConfiguration': MutatingWebhookConfiguration,
  'admissionregistration.k8s.io/v1/ValidatingWebhookConfiguration': ValidatingWebhookConfiguration,
  'apiextensions.k8s.io/v1/CustomResourceDefinition': CustomResourceDefinition,
};

const NODE_MODULES = path.join(REPO, 'node_modules');
const MODELS_ROOT = path.join(NODE_MODULES, 'kubernetes-models');

/** Validates one object; throws naming the object and every problem found. */
export function validateObject(obj: K8sObject): void {
  const key = `${obj.apiVersion}/${obj.kind}`;
  const what = `${obj.kind} ${obj.metadata.name}`;
  const Model = MODELS[key];
  if (Model === undefined) throw new Error(`${what}: no Kubernetes model for ${key}; add it to MODELS`);
  try {
    new Model(structuredClone(obj) as never).validate();
  } catch (err) {
    throw new Error(`${what} is not a valid ${key}: ${(err as Error).message}`, { cause: err });
  }
  const unknown: string[] = [];
  checkFields(obj, typeFileFor(obj.apiVersion, obj.kind), '', unknown);
  if (unknown.length > 0) throw new Error(`${what} has fields ${key} does not define: ${unknown.join(', ')}`);
}

function typeFileFor(apiVersion: string, kind: string): string {
  return path.join(MODELS_ROOT, apiVersion, `${kind}.d.ts`);
}

/** A field's declared type: a named API type, a list or map of one, or anything else (a leaf). */
type FieldType =
  | { readonly kind: 'ref'; readonly file: string }
  | { readonly kind: 'array'; readonly of: FieldType }
  | { readonly kind: 'map'; readonly of: FieldType }
  | { readonly kind: 'leaf' };

interface TypeInfo {
  /** Undefined when the declaration is not an interface with fields (free-form JSON, IntOrString). */
  readonly fields: ReadonlyMap<string, FieldType> | undefined;
}

const typeCache = new Map<string, TypeInfo>();

function readType(file: string): TypeInfo {
  const cached = typeCache.get(file);
  if (cached !== undefined) return cached;
  const info: TypeInfo = { fields: parseDeclaration(file) };
  typeCache.set(file, info);
  return info;
}

function parseDeclaration(file: string): Map<string, FieldType> | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const imports = new Map<string, string>();
  for (const m of text.matchAll(/^import \{ (\w+) \} from "([^"]+)";$/gm)) {
    const [, name, from] = m;
    if (name !== undefined && from !== undefined) imports.set(name, resolveImport(file, from));
  }
  const start = /^export interface (\w+)(?: extends [\w, ]+)? \{$/m.exec(text);
  if (start === null) return undefined;
  const selfName = start[1] ?? '';
  const body = text.slice(start.index + start[0].length, text.indexOf('\n}', start.index));
  // Drop comments, then read `"name"?: TYPE;` with TYPE possibly spanning lines (`{ [key: string]: X; }`).
  const code = body.replace(/\/\*\*[\s\S]*?\*\//g, '');
  const fields = new Map<string, FieldType>();
  for (const m of code.matchAll(/"([^"]+)"\??: ((?:\{[\s\S]*?\};)|(?:[^;]+;))/g)) {
    const [, name, rawType] = m;
    if (name === undefined || rawType === undefined) continue;
    fields.set(name, parseType(rawType.replace(/;$/, '').trim(), file, selfName, imports));
  }
  return fields.size === 0 ? undefined : fields;
}

function resolveImport(fromFile: string, spec: string): string {
  if (spec.startsWith('.')) return path.resolve(path.dirname(fromFile), spec.replace(/\.js$/, '.d.ts'));
  return path.join(NODE_MODULES, `${spec}.d.ts`);
}

function parseType(t: string, file: string, selfName: string, imports: ReadonlyMap<string, string>): FieldType {
  const array = /^Array<(.+)>$/.exec(t);
  if (array?.[1] !== undefined) return { kind: 'array', of: parseType(array[1], file, selfName, imports) };
  const map = /^\{\s*\[key: string\]: (.+?);?\s*\}$/s.exec(t);
  if (map?.[1] !== undefined) return { kind: 'map', of: parseType(map[1].trim(), file, selfName, imports) };
  if (t === selfName) return { kind: 'ref', file };
  const imported = imports.get(t);
  if (imported !== undefined) return { kind: 'ref', file: imported };
  return { kind: 'leaf' };
}

/** JSONSchemaPropsOrArray / OrBool are declared empty; an object there is a JSONSchemaProps. */
function schemaPropsAlternative(file: string): string | undefined {
  const base = path.basename(file);
  if (base === 'JSONSchemaPropsOrArray.d.ts' || base === 'JSONSchemaPropsOrBool.d.ts') {
    return path.join(path.dirname(file), 'JSONSchemaProps.d.ts');
  }
  return undefined;
}

function checkFields(value: unknown, file: string, at: string, unknown: string[]): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return;
  const alternative = schemaPropsAlternative(file);
  if (alternative !== undefined) {
    checkFields(value, alternative, at, unknown);
    return;
  }
  const { fields } = readType(file);
  if (fields === undefined) return;
  for (const [name, child] of Object.entries(value)) {
    const where = at === '' ? name : `${at}.${name}`;
    const type = fields.get(name);
    if (type === undefined) {
      unknown.push(where);
      continue;
    }
    checkValue(child, type, where, unknown);
  }
}

function checkValue(value: unknown, type: FieldType, at: string, unknown: string[]): void {
  switch (type.kind) {
    case 'leaf':
      return;
    case 'ref':
      checkFields(value, type.file, at, unknown);
      return;
    case 'array':
      if (Array.isArray(value)) value.forEach((item, i) => checkValue(item, type.of, `${at}[${i}]`, unknown));
      return;
    case 'map':
      if (value !== null && typeof value === 'object') {
        for (const [k, v] of Object.entries(value)) checkValue(v, type.of, `${at}.${k}`, unknown);
      }
      return;
  }
}
