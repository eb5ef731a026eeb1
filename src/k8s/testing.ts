// Test surface of src/k8s: the fake Kubernetes API server and what its controls take. Only tests
// import this file.

export {
  ACCESS_REVIEW_PATH,
  FakeApiServer,
  TOKEN_REVIEW_PATH,
  type FakeApiServerOptions,
  type PlannedFailure,
  type RequestVerb,
} from './fake-api-server.ts';
export { BUILTIN_RESOURCES, collectionPath, type FakeObject, type FakeResource } from './fake-api-resources.ts';
export {
  API_SERVER_AUDIENCE,
  allowEverything,
  refuseAllTokens,
  simulatedTokenReviewer,
  type AccessReviewAnswer,
  type AccessReviewRequest,
  type AccessReviewer,
  type SimulatedToken,
  type TokenReviewAnswer,
  type TokenReviewRequest,
  type TokenReviewer,
} from './fake-api-reviews.ts';
export type { MutationOptions, ObjectRef } from './fake-api-store.ts';
export type { ExpiredAnswer } from './fake-api-watch.ts';
