// The subcommands that are planned but not built yet, each with the issue that tracks it.
//
// They are listed so that `nodemesh --help` shows the whole shape of the tool; running one says
// plainly that it is not in this build and exits 1, rather than pretending to work. An entry moves
// out of this list into bin/nodemesh.ts when its implementation lands.

import { EXIT_FAILURE, writeLine, type CommandRunner } from '../src/cli/index.ts';

export interface PlannedCommand {
  readonly name: string;
  readonly summary: string;
  readonly help: string;
  /** The project issue that builds it. */
  readonly issue: number;
}

function planned(name: string, summary: string, issue: number, detail: string): PlannedCommand {
  return {
    name,
    summary: `${summary} (not built yet)`,
    issue,
    help: `Usage: nodemesh ${name} [flags]\n\n${detail}\n\nNot in this build yet: tracked in issue ${issue}.\n`,
  };
}

export const COMMANDS_NOT_BUILT: readonly PlannedCommand[] = [
  planned(
    'cni',
    'the chained CNI plugin',
    9,
    'A CNI 1.0 plugin (ADD, DEL, CHECK, VERSION) applying the proxy-init rules.',
  ),
];

export function notBuilt(command: PlannedCommand): CommandRunner {
  return (ctx) => {
    writeLine(ctx.stderr, `nodemesh ${command.name}: not in this build yet (tracked in issue ${command.issue}).`);
    return Promise.resolve(EXIT_FAILURE);
  };
}
