// What the client needs to know of a gRPC method: its path and its message codecs. The generated
// service definitions in src/api have these fields (and more), so they fit as they are.

export interface MethodDescriptor<Request, Response> {
  /** `/package.Service/Method`. */
  readonly path: string;
  requestSerialize(value: Request): Buffer;
  responseDeserialize(bytes: Buffer): Response;
}
