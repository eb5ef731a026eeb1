// Public surface of src/cli/inject: the `nodemesh inject` / `uninject` commands and the backend
// interface bin/nodemesh.ts fills with the injector.
export {
  createInjectCommand,
  createUninjectCommand,
  withInjectAnnotation,
  type InjectCommandDeps,
} from './inject-command.ts';
export type {
  InjectBackend,
  TemplateInjector,
  TemplateUninjector,
  TemplateInjection,
  TemplateOwner,
} from './inject-backend.ts';
export { InjectInputError } from './inject-errors.ts';
export { INJECT_HELP, INJECT_SUMMARY, UNINJECT_HELP, UNINJECT_SUMMARY } from './inject-help.ts';
