// Public surface of src/testing: helpers shared by tests across folders (never used by product code).
export { catchError, catchRejection } from './catch-error.ts';
export {
  TEST_DOMAIN,
  createServingCertificate,
  createTestCa,
  createTestWorkload,
  rotateIssuer,
  dnsNames,
  type ServingCertificate,
  type TestCa,
  type TestCaOptions,
  type TestWorkload,
} from './test-ca.ts';
export { FakeClock, settle } from './fake-clock.ts';
export { runCommand, textCollector, type CommandResult } from './run-command.ts';
export { seededRandom } from './seeded-random.ts';
