// Public surface of src/profiles: ServiceProfile types, validation (objects and multi-document
// YAML), conversion to the DestinationProfile message, proxy-side route matching and response
// classification, and the `nodemesh profile --template` text.
export {
  DEFAULT_RETRY_BUDGET,
  SERVICE_PROFILE_API_VERSIONS,
  SERVICE_PROFILE_KIND,
  type RequestMatchSpec,
  type ResponseClassSpec,
  type ResponseMatchSpec,
  type RetryBudgetSpec,
  type RouteSpec,
  type ServiceProfile,
  type ServiceProfileApiVersion,
  type ServiceProfileMetadata,
  type ServiceProfileSpec,
  type StatusRangeSpec,
  type WeightedDstSpec,
} from './profile-types.ts';
export {
  ProfileValidationError,
  ProfileYamlError,
  type ProfileProblem,
  type ProfileSource,
  type YamlProblem,
} from './profile-errors.ts';
export { parseServiceProfile, type ParseProfileSource } from './profile-parse.ts';
export { parseServiceProfilesYaml, type ParseYamlOptions, type ProfileDocumentResult } from './profile-yaml.ts';
export {
  parseAuthority,
  parseServiceName,
  serviceProfileName,
  type Authority,
  type NameResult,
  type ServiceName,
} from './profile-name.ts';
export { MAX_WEIGHT_DECIMILLIS, parseWeight, type WeightResult } from './profile-weight.ts';
export { compilePathRegex, type PathRegexResult } from './profile-path-regex.ts';
export { defaultDestinationProfile, toDestinationProfile, type ProfileTarget } from './profile-wire.ts';
export {
  GRPC_FAILURE_STATUS_CODES,
  compileProfile,
  requestPath,
  type CompiledProfile,
  type CompiledRetryBudget,
  type CompiledRoute,
  type RequestInfo,
  type ResponseClassification,
  type ResponseInfo,
  type SkippedPart,
} from './profile-match.ts';
export { profileTemplate } from './profile-template.ts';
