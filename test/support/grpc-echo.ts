// Test support: a grpc-js server and client for a small echo service defined in code (raw bytes
// as messages), covering unary, server-, client- and bidirectional streaming, error statuses,
// and metadata in both directions including trailers.

import {
  Metadata,
  Server,
  ServerCredentials,
  credentials,
  makeGenericClientConstructor,
  status,
  type ServerDuplexStream,
  type ServerReadableStream,
  type ServerUnaryCall,
  type ServerWritableStream,
  type ServiceDefinition,
  type sendUnaryData,
} from '@grpc/grpc-js';

const identity = (b: Buffer): Buffer => b;
const method = (name: string, requestStream: boolean, responseStream: boolean) => ({
  path: `/test.Echo/${name}`,
  requestStream,
  responseStream,
  requestSerialize: identity,
  requestDeserialize: identity,
  responseSerialize: identity,
  responseDeserialize: identity,
  originalName: name,
});

export const ECHO_SERVICE: ServiceDefinition = {
  Unary: method('Unary', false, false),
  ServerStream: method('ServerStream', false, true),
  ClientStream: method('ClientStream', true, false),
  Bidi: method('Bidi', true, true),
  Fail: method('Fail', false, false),
};

const implementation = {
  Unary: (call: ServerUnaryCall<Buffer, Buffer>, cb: sendUnaryData<Buffer>): void => {
    const md = new Metadata();
    md.set('x-initial', 'hello');
    call.sendMetadata(md);
    const trailer = new Metadata();
    trailer.set('x-trailer', `saw-${String(call.metadata.get('x-request')[0] ?? 'none')}`);
    cb(null, call.request, trailer);
  },
  ServerStream: (call: ServerWritableStream<Buffer, Buffer>): void => {
    for (let i = 0; i < 3; i++) call.write(Buffer.from(`${call.request.toString()}-${i}`));
    call.end();
  },
  ClientStream: (call: ServerReadableStream<Buffer, Buffer>, cb: sendUnaryData<Buffer>): void => {
    const parts: Buffer[] = [];
    call.on('data', (d: Buffer) => parts.push(d));
    call.on('end', () => cb(null, Buffer.concat(parts)));
  },
  Bidi: (call: ServerDuplexStream<Buffer, Buffer>): void => {
    call.on('data', (d: Buffer) => call.write(Buffer.concat([Buffer.from('echo:'), d])));
    call.on('end', () => call.end());
  },
  Fail: (_call: ServerUnaryCall<Buffer, Buffer>, cb: sendUnaryData<Buffer>): void =>
    cb({ code: status.PERMISSION_DENIED, details: 'no entry for you' }),
};

export async function grpcEcho(): Promise<{ port: number; close: () => Promise<void>; kill: () => void }> {
  const server = new Server();
  server.addService(ECHO_SERVICE, implementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return {
    port,
    close: () => new Promise((resolve) => server.tryShutdown(() => resolve())),
    /** Dies at once: every call and connection is cut (a killed process, as the client sees it). */
    kill: () => server.forceShutdown(),
  };
}

export const EchoClient = makeGenericClientConstructor(ECHO_SERVICE, 'Echo');

/** A client that sends to `proxy` but names `authority` (the proxy routes by it). */
export function echoClient(proxy: string, authority: string): InstanceType<typeof EchoClient> {
  return new EchoClient(proxy, credentials.createInsecure(), {
    'grpc.default_authority': authority,
    'grpc.use_local_subchannel_pool': 1,
  });
}
