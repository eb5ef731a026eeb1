// Public surface of src/json-patch: RFC 6902 patches and RFC 6901 pointers.
export {
  applyJsonPatch,
  escapePointerToken,
  jsonPointer,
  parsePointer,
  JsonPatchError,
  type JsonPatchOperation,
} from './json-patch.ts';
