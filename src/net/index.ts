// Public surface of src/net.
export { freePort } from './free-port.ts';
export { nodeHttp } from './node-http.ts';
export { nodeTls } from './node-tls.ts';
