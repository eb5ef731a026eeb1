// The whole mesh in network namespaces with the rules written by `nodemesh proxy-init`, as the
// init container does in a pod (test/e2e/mesh-scenario.ts has the scenario).

import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { BIN, NODE } from './mesh-lab.ts';
import { meshScenario } from './mesh-scenario.ts';

describe('the mesh end to end behind proxy-init (network namespaces)', () => {
  meshScenario({
    intercept: async (_lab, pod, rules) => {
      const flags = [
        ...(rules.inboundPortsToIgnore === undefined ? [] : ['--inbound-ports-to-ignore', rules.inboundPortsToIgnore]),
        ...(rules.outboundPortsToIgnore === undefined
          ? []
          : ['--outbound-ports-to-ignore', rules.outboundPortsToIgnore]),
      ];
      const init = await pod.ns.exec(NODE, [BIN, 'proxy-init', ...flags], { timeoutMs: 30_000 });
      assert.equal(init.code, 0, init.stdout + init.stderr);
    },
  });
});
