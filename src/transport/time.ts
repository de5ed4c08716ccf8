import { nanos } from "@nats-io/transport-node";

/** Milliseconds to the nanoseconds JetStream configs use. The one place natter converts. */
export function msToNanos(ms: number): number {
  return nanos(ms);
}

/** JetStream nanoseconds to milliseconds. */
export function nanosToMs(ns: number): number {
  return Math.floor(ns / 1_000_000);
}
