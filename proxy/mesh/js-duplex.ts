// A plain JavaScript Duplex over a socket. node:http2 drives StreamBase sockets natively; a TLS
// socket that JavaScript has already read from (the transport header) is not picked up correctly
// that way, so the HTTP/2 server gets this wrapper instead (node:http2 then uses its JS stream
// adapter). The wrapper carries the socket's connection context and passes backpressure both ways.

import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';

export function jsDuplexOver(socket: Socket): Duplex {
  const duplex = new Duplex({
    allowHalfOpen: true,
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      socket.write(chunk, callback);
    },
    final(callback) {
      socket.end();
      callback();
    },
    destroy(err, callback) {
      socket.destroy(err ?? undefined);
      callback(err);
    },
  });
  socket.on('data', (chunk: Buffer) => {
    if (!duplex.push(chunk)) socket.pause();
  });
  socket.once('end', () => duplex.push(null));
  socket.once('close', () => duplex.destroy());
  socket.on('error', (err) => duplex.destroy(err));
  return duplex;
}
