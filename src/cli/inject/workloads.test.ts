import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { transformObject, type WorkloadRef } from './workloads.ts';

const mark = (template: Readonly<Record<string, unknown>>) => ({ ...template, marked: true });

describe('transformObject', () => {
  test('finds the pod template of each workload kind', () => {
    const cases: [Record<string, unknown>, string[]][] = [
      [{ kind: 'Deployment', metadata: { name: 'a' }, spec: { template: {} } }, ['spec', 'template']],
      [
        { kind: 'CronJob', metadata: { name: 'b' }, spec: { jobTemplate: { spec: { template: {} } } } },
        ['spec', 'jobTemplate', 'spec', 'template'],
      ],
      [{ kind: 'Pod', metadata: { name: 'c' }, spec: {} }, []],
    ];
    for (const [obj, path] of cases) {
      const seen: WorkloadRef[] = [];
      const out = transformObject(
        obj,
        (t, ref) => (seen.push(ref), mark(t)),
        () => assert.fail('not other'),
      );
      let at: unknown = out;
      for (const key of path) at = (at as Record<string, unknown>)[key];
      assert.equal((at as { marked?: boolean }).marked, true, String(obj['kind']));
      assert.equal(seen.length, 1);
    }
  });

  test('visits List items and returns the same object when nothing changed', () => {
    const list = {
      kind: 'List',
      items: [
        { kind: 'Service', metadata: { name: 's', namespace: 'shop' } },
        { kind: 'Job', metadata: { name: 'j' }, spec: { template: {} } },
      ],
    };
    const others: WorkloadRef[] = [];
    assert.equal(
      transformObject(
        list,
        () => undefined,
        (ref) => others.push(ref),
      ),
      list,
    );
    assert.deepEqual(others, [{ kind: 'Service', name: 's', namespace: 'shop' }]);
    const changed = transformObject(list, mark, () => undefined) as { items: { spec?: { template: object } }[] };
    assert.deepEqual(changed.items[1]?.spec?.template, { marked: true });
    assert.equal(changed.items[0], list.items[0]);
  });
});
