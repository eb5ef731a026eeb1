// Public surface of src/cli: the command model, the dispatcher and the shared output helpers.
export {
  EXIT_OK,
  EXIT_FAILURE,
  EXIT_USAGE,
  type CommandContext,
  type CommandSpec,
  type CommandRunner,
} from './command.ts';
export { dispatch, type DispatchOptions } from './dispatch.ts';
export { parseFlags, wantsHelp } from './args.ts';
export { parseOutputFormat, writeJson, writeLine, formatTable, OUTPUT_FORMATS, type OutputFormat } from './output.ts';
export { runVersion, VERSION_HELP } from './version-command.ts';
export { untilAborted } from './wait.ts';
