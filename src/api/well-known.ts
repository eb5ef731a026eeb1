// Converts google.protobuf.Timestamp and Duration messages to and from JavaScript times.
//
// The generated code keeps both as messages ({ seconds: bigint, nanos }) so nothing is lost on the
// wire; these helpers are for the edges that think in Date and milliseconds (certificate expiry,
// route timeouts, keep-alive intervals). A Date keeps whole milliseconds; a millisecond count keeps
// nanos as its fraction. Messages with nanos out of range raise ProtobufDecodeError.

import { InternalError, ProtobufDecodeError } from '../errors/index.ts';
import type { Duration } from './gen/google/protobuf/duration.ts';
import type { Timestamp } from './gen/google/protobuf/timestamp.ts';

const NANOS_PER_MILLI = 1_000_000;
const NANOS_PER_SECOND = 1_000_000_000;

/** The Timestamp of a Date (millisecond precision). */
export function timestampFromDate(date: Date): Timestamp {
  const millis = date.getTime();
  if (!Number.isFinite(millis)) throw new InternalError('cannot convert an invalid Date to a Timestamp');
  const seconds = Math.floor(millis / 1000);
  return { seconds: BigInt(seconds), nanos: (millis - seconds * 1000) * NANOS_PER_MILLI };
}

/** The Date of a Timestamp (sub-millisecond nanos are dropped). */
export function dateFromTimestamp(timestamp: Timestamp): Date {
  if (!Number.isInteger(timestamp.nanos) || timestamp.nanos < 0 || timestamp.nanos >= NANOS_PER_SECOND) {
    throw new ProtobufDecodeError(`Timestamp.nanos ${timestamp.nanos} is outside 0..999999999`);
  }
  return new Date(Number(timestamp.seconds) * 1000 + Math.floor(timestamp.nanos / NANOS_PER_MILLI));
}

/** The Duration of a number of milliseconds (fractions kept to the nanosecond). */
export function durationFromMillis(millis: number): Duration {
  if (!Number.isFinite(millis)) throw new InternalError(`cannot convert ${millis} ms to a Duration`);
  let seconds = Math.trunc(millis / 1000);
  // Seconds and nanos carry the same sign, as Duration requires; rounding may carry a whole second.
  let nanos = Math.round((millis - seconds * 1000) * NANOS_PER_MILLI);
  if (Math.abs(nanos) >= NANOS_PER_SECOND) {
    seconds += Math.sign(nanos);
    nanos -= Math.sign(nanos) * NANOS_PER_SECOND;
  }
  return { seconds: BigInt(seconds), nanos: nanos === 0 ? 0 : nanos };
}

/** The number of milliseconds of a Duration. */
export function millisFromDuration(duration: Duration): number {
  const { seconds, nanos } = duration;
  if (!Number.isInteger(nanos) || Math.abs(nanos) >= NANOS_PER_SECOND) {
    throw new ProtobufDecodeError(`Duration.nanos ${nanos} is outside -999999999..999999999`);
  }
  if ((seconds > 0n && nanos < 0) || (seconds < 0n && nanos > 0)) {
    throw new ProtobufDecodeError(`Duration seconds ${seconds} and nanos ${nanos} have different signs`);
  }
  return Number(seconds) * 1000 + nanos / NANOS_PER_MILLI;
}
