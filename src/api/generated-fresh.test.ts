// Fails when src/api/gen no longer matches what buf + ts-proto make from src/api/proto (someone
// edited a .proto file, or the generated code, without running `npm run gen`).

import assert from 'node:assert/strict';
import { test } from 'node:test';

// This test checks the dev script itself, so it is the one place src/ reaches into scripts/.
// eslint-disable-next-line nodemesh/import-boundaries
import { BUF_BINARY, bufAvailable, checkGenerated } from '../../scripts/gen-proto.ts';

test(
  'the committed generated code matches the .proto files',
  {
    skip: bufAvailable() ? false : `buf is not installed at ${BUF_BINARY} (it ships for linux-x64 only)`,
    timeout: 60_000,
  },
  async () => {
    const result = await checkGenerated();
    if (result.kind === 'stale') {
      const lines = result.differences.map(({ path, change }) => `  ${change}: ${path}`);
      assert.fail(`src/api/gen is stale; run \`npm run gen\` and commit the result:\n${lines.join('\n')}`);
    }
    assert.ok(result.files > 0);
  },
);
