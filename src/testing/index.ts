// Public surface of src/testing: helpers shared by tests across folders (never used by product code).
export { catchError, catchRejection } from './catch-error.ts';
