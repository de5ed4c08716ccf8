import { nanos } from "@nats-io/transport-node";

/** Milliseconds to the nanoseconds JetStream configs use. The one place natter converts. */
export function msToNanos(ms: number): number {
  return nanos(ms);
}

/** JetStream nanoseconds to milliseconds. */
export function nanosToMs(ns: number): number {
  return Math.floor(ns / 1_000_000);
}

/** Wait before retrying a loop that failed `failures` times in a row: 0.2 s doubling, at most 5 s. */
export function retryDelayMs(failures: number): number {
  return Math.min(5000, 100 * 2 ** Math.min(failures, 6));
}
