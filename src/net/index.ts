// Public surface of src/net.
export { freePort } from './free-port.ts';
