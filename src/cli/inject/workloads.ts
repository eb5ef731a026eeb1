// Finding the pod templates in Kubernetes objects: a Pod is its own template; Deployments,
// StatefulSets, DaemonSets, ReplicaSets, ReplicationControllers and Jobs have spec.template;
// CronJobs spec.jobTemplate.spec.template; a List's items are visited in order.
//
// Contract: pure; `transformObject` returns a new object when the visitor changed a template and
// the very same object otherwise.

type Obj = Readonly<Record<string, unknown>>;

export const TEMPLATE_PATHS: Readonly<Record<string, readonly string[]>> = {
  Pod: [],
  Deployment: ['spec', 'template'],
  StatefulSet: ['spec', 'template'],
  DaemonSet: ['spec', 'template'],
  ReplicaSet: ['spec', 'template'],
  ReplicationController: ['spec', 'template'],
  Job: ['spec', 'template'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
};

export interface WorkloadRef {
  readonly kind: string;
  readonly name: string;
  readonly namespace: string | undefined;
}

/** What the visitor did with one object: the new template, or nothing. */
export type TemplateVisitor = (template: Obj, workload: WorkloadRef) => Obj | undefined;
/** Told about objects that hold no pod template. */
export type OtherVisitor = (workload: WorkloadRef) => void;

function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function describeObject(obj: Obj): WorkloadRef {
  const meta = isObj(obj['metadata']) ? obj['metadata'] : {};
  return {
    kind: typeof obj['kind'] === 'string' ? obj['kind'] : '(no kind)',
    name: typeof meta['name'] === 'string' ? meta['name'] : '(unnamed)',
    namespace: typeof meta['namespace'] === 'string' && meta['namespace'] !== '' ? meta['namespace'] : undefined,
  };
}

export function transformObject(obj: Obj, visit: TemplateVisitor, other: OtherVisitor, depth = 0): Obj {
  const ref = describeObject(obj);
  const items = obj['items'];
  if (ref.kind.endsWith('List') && Array.isArray(items) && depth < 4) {
    let changed = false;
    const next = items.map((item: unknown) => {
      if (!isObj(item)) return item;
      const out = transformObject(item, visit, other, depth + 1);
      changed ||= out !== item;
      return out;
    });
    return changed ? { ...obj, items: next } : obj;
  }
  const path = TEMPLATE_PATHS[ref.kind];
  const template = path === undefined ? undefined : getPath(obj, path);
  if (path === undefined || template === undefined) {
    other(ref);
    return obj;
  }
  const replaced = visit(template, ref);
  return replaced === undefined ? obj : setPath(obj, path, replaced);
}

function getPath(obj: Obj, path: readonly string[]): Obj | undefined {
  let current: unknown = obj;
  for (const key of path) current = isObj(current) ? current[key] : undefined;
  return isObj(current) ? current : undefined;
}

function setPath(obj: Obj, path: readonly string[], value: Obj): Obj {
  const [head, ...rest] = path;
  if (head === undefined) return value;
  const inner = obj[head];
  return { ...obj, [head]: setPath(isObj(inner) ? inner : {}, rest, value) };
}
