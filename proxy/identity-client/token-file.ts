// Reading the service-account token: the projected token file is rotated by the kubelet, so it is
// read anew for every Certify call.

import { readFile } from 'node:fs/promises';
import { CertifyCallError } from './errors.ts';
import { Buffer } from 'node:buffer';

export function tokenFileReader(file: string): () => Promise<Uint8Array> {
  return async () => {
    let token: Buffer;
    try {
      token = await readFile(file);
    } catch (err) {
      throw new CertifyCallError(`cannot read the service-account token file ${file}`, { cause: err });
    }
    const trimmed = Buffer.from(token.toString('utf8').trim());
    if (trimmed.length === 0) throw new CertifyCallError(`the service-account token file ${file} is empty`);
    return trimmed;
  };
}
