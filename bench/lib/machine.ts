// What a benchmark ran on: the machine and the versions, recorded with every result.

import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { VERSION } from '../../src/version.ts';

export interface MachineInfo {
  readonly date: string;
  readonly nodemesh: string;
  readonly node: string;
  readonly openssl: string;
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGb: number;
  readonly kernel: string;
}

export function machineInfo(): MachineInfo {
  let kernel: string;
  try {
    kernel = execFileSync('uname', ['-sr'], { encoding: 'utf8' }).trim();
  } catch {
    kernel = process.platform;
  }
  return {
    date: new Date().toISOString(),
    nodemesh: VERSION,
    node: process.version,
    openssl: process.versions.openssl ?? '',
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    kernel,
  };
}
