import { NoRespondersError } from "@nats-io/transport-node";
import { anyCause, isJetStreamNotEnabled } from "./nats-errors.ts";
import type { Logger } from "../logger.ts";

/** Whether `err` says the server has no JetStream: the client's own error, or no one answering its API (503). */
export function isJetStreamOff(err: unknown): boolean {
  return anyCause(err, (e) => isJetStreamNotEnabled(e) || e instanceof NoRespondersError || /no responders/i.test(e.message));
}

/**
 * One connection's view of JetStream: says once that it went away and once that it is back, however many
 * pulls and writes of however many agents fail meanwhile.
 */
export class JetStreamHealth {
  #downSince: number | undefined;

  constructor(private readonly log: Logger) {}

  /** Notes a failed JetStream call; true when the cause was JetStream being unavailable (logged once, not per call). */
  failed(err: unknown): boolean {
    if (!isJetStreamOff(err)) return false;
    if (this.#downSince === undefined) {
      this.#downSince = Date.now();
      this.log.warn("jetstream.unavailable", { error: (err as Error).message, hint: "the server answers but JetStream does not: restarted without -js, or out of resources; retrying" });
    }
    return true;
  }

  /** Notes a JetStream call that worked. */
  ok(): void {
    if (this.#downSince === undefined) return;
    this.log.info("jetstream.available", { unavailableMs: Date.now() - this.#downSince });
    this.#downSince = undefined;
  }
}
