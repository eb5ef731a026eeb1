// Which nodemesh a benchmark ran: the entry point and, when it lies in a git checkout, the commit
// and whether the checkout had local changes (a result measured on uncommitted code says so). A
// tree exported with `git archive` names its commit in a `.git-commit` file at its root.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

export interface NodemeshUnderTest {
  readonly bin: string;
  /** The commit of the checkout holding `bin`, or "unknown". */
  readonly commit: string;
  /** True when the checkout's proxy/, src/, controller/ or identity/ differ from that commit. */
  readonly dirty: boolean | undefined;
}

export function nodemeshUnderTest(bin: string): NodemeshUnderTest {
  const cwd = path.dirname(bin);
  const git = (args: readonly string[], dir: string): string =>
    execFileSync('git', args, { cwd: dir, encoding: 'utf8', stdio: 'pipe' }).trim();
  try {
    const root = git(['rev-parse', '--show-toplevel'], cwd);
    const commit = git(['rev-parse', 'HEAD'], root);
    const status = git(['status', '--porcelain', '--', 'proxy', 'src', 'controller', 'identity'], root);
    return { bin, commit, dirty: status !== '' };
  } catch {
    for (let dir = cwd, i = 0; i < 8; i++, dir = path.dirname(dir)) {
      try {
        return { bin, commit: readFileSync(path.join(dir, '.git-commit'), 'utf8').trim(), dirty: false };
      } catch {
        // not here
      }
    }
    return { bin, commit: 'unknown', dirty: undefined };
  }
}
