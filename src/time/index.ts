// Public surface of src/time.
export { systemClock, type Clock, type TimerHandle } from './clock.ts';
export { Backoff, type BackoffOptions } from './backoff.ts';
