import { setTimeout as sleep } from "node:timers/promises";
import { TimeoutError } from "@nats-io/transport-node";
import { JetStreamApiError } from "@nats-io/jetstream";
import { LOCAL_ERROR_CODES, NatterError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { anyCause } from "./nats-errors.ts";

/** 10005 "no suitable peers for placement": fewer JetStream servers known than the stream's replicas. */
const NO_PEERS_FOR_PLACEMENT = 10005;

/**
 * JetStream API error codes of a cluster that cannot serve yet: 10008 "JetStream system temporarily unavailable" (503),
 * 10009 "JetStream cluster can not handle request" (no meta leader), 10007 "JetStream cluster not assigned to this server",
 * and 10005 (a new cluster elects its meta leader before every server has reported in, so an R3 stream created at once
 * is refused for lack of peers; seen in half of the cold starts of a 3-node test cluster, gone within a second).
 */
const NOT_READY_CODES: ReadonlySet<number> = new Set([NO_PEERS_FOR_PLACEMENT, 10007, 10008, 10009]);

/** Options of {@link retryUntilReady}. */
export interface ReadyOptions {
  /** Give up this long after the first attempt, in milliseconds. */
  deadlineMs: number;
  /** Names the setting behind `deadlineMs` in the final error. */
  deadlineSetting: string;
  log?: Logger;
}

/**
 * Whether `err` (or an error it wraps) says JetStream is not ready yet rather than that the request is wrong.
 * A cluster that has just started drops API requests (a timeout) or refuses them until it has elected a meta leader.
 */
export function isJetStreamNotReady(err: unknown): boolean {
  return anyCause(err, (e) => e instanceof TimeoutError || (e instanceof JetStreamApiError && NOT_READY_CODES.has(e.code)));
}

function lacksPeers(err: unknown): boolean {
  return anyCause(err, (e) => e instanceof JetStreamApiError && e.code === NO_PEERS_FOR_PLACEMENT);
}

/**
 * Runs `work`, and again with backoff (0.25 s doubling to 5 s) while it fails because JetStream is not ready;
 * past the deadline, throws a NatterError ({@link LOCAL_ERROR_CODES.unavailable}) that names the setting and the last error.
 */
export async function retryUntilReady<T>(what: string, work: () => Promise<T>, options: ReadyOptions): Promise<T> {
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      if (!isJetStreamNotReady(err)) throw err;
      const elapsedMs = Date.now() - started;
      const waitMs = Math.min(5000, 250 * 2 ** Math.min(attempt - 1, 5));
      if (elapsedMs + waitMs > options.deadlineMs) {
        throw new NatterError(
          `${what}: JetStream was not ready after ${attempt} ${attempt === 1 ? "attempt" : "attempts"} in ${Math.round(elapsedMs / 1000)} s (${options.deadlineSetting}=${options.deadlineMs}): ${(err as Error).message}. ` +
            "A cluster that has just started needs a majority of its nodes up to elect a leader; check that they are running and can reach each other." +
            (lacksPeers(err) ? " The stream's replicas (NATTER_REPLICAS) need that many JetStream servers up in the cluster." : ""),
          LOCAL_ERROR_CODES.unavailable,
          { cause: err },
        );
      }
      options.log?.warn("jetstream.not_ready", { what, attempt, retryInMs: waitMs, error: err });
      await sleep(waitMs);
    }
  }
}
