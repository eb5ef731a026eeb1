// Public surface of src/cli/profile: the `nodemesh profile` command and its generators.
export {
  createProfileCommand,
  runProfile,
  DEFAULT_CLUSTER_DOMAIN,
  DEFAULT_NAMESPACE,
  type ProfileCommandDeps,
} from './profile-command.ts';
export { PROFILE_HELP, PROFILE_SUMMARY } from './profile-help.ts';
export { openApiToProfile, type GeneratedProfile, type OpenApiOptions } from './profile-openapi.ts';
export { protoToProfile, parseProtoRpcs, type ProtoOptions, type ProtoRpc } from './profile-proto.ts';
export { ProfileSourceError, type SourceProblem } from './profile-source-error.ts';
