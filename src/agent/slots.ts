import { AbortedError, NatterError } from "../errors.ts";
import { Limiter } from "../limiter.ts";
import type { Logger } from "../logger.ts";
import type { AgentMetrics, Outcome } from "../metrics/hooks.ts";
import type { Envelope } from "../protocol/envelope.ts";
import { ERROR_CODES } from "../protocol/headers.ts";
import type { Presence } from "../registry/presence.ts";

/** How a handler gets its slot: wait for one, or queue within the bound and be refused past it. */
export type Admission = "wait" | "queue";

/** Options of {@link HandlerSlots}. */
export interface HandlerSlotsOptions {
  agent: string;
  /** Handlers running at once. */
  concurrency: number;
  /** Requests and broadcasts waiting for a slot before they are refused. */
  maxQueued: number;
  presence: Presence;
  log: Logger;
  /** Counts and times each handler run; undefined when metrics are off. */
  metrics?: AgentMetrics | undefined;
}

/** Runs an agent's handlers under its concurrency limit, keeping load, status and the handled, failed and busy figures in the registry. */
export class HandlerSlots {
  readonly #limiter: Limiter;
  #handled = 0;
  #failed = 0;
  #busyMs = 0;

  constructor(readonly options: HandlerSlotsOptions) {
    this.#limiter = new Limiter(options.concurrency, options.maxQueued);
    options.presence.track(() => ({ load: this.#limiter.active, handled: this.#handled, failed: this.#failed, busyMs: Math.round(this.#busyMs) }));
  }

  /** Handlers running now. */
  get active(): number {
    return this.#limiter.active;
  }

  /** Handlers finished since start, failed ones included. */
  get handled(): number {
    return this.#handled;
  }

  /** Resolves once no handler runs. */
  idle(): Promise<void> {
    return this.#limiter.idle();
  }

  /**
   * Runs a handler in a slot, senders taking turns. Mailbox work waits for one (the mailbox already bounds it);
   * requests and broadcasts queue up to a bound (one sender up to half of it), then are refused.
   */
  run<T>(handler: () => Promise<T> | T, envelope: Envelope, admission: Admission): Promise<T> {
    // A free slot is taken at once: no promise, no turn to wait for (the common case).
    const free = this.#limiter.take();
    if (free) return this.#inSlot(handler, envelope, free);
    // Keyed by sender: waiting work is served round robin across senders, so one sender cannot hold the slots.
    const slot = admission === "wait" ? this.#limiter.acquire(envelope.from) : this.#limiter.tryAcquire(envelope.from);
    if (!slot) {
      this.options.metrics?.handled(envelope.type, "rejected");
      return Promise.reject(new NatterError(`agent "${this.options.agent}" is overloaded; try again later`, ERROR_CODES.overloaded));
    }
    return slot.then((release) => this.#inSlot(handler, envelope, release));
  }

  async #inSlot<T>(handler: () => Promise<T> | T, envelope: Envelope, release: () => void): Promise<T> {
    const { presence, log, metrics } = this.options;
    const started = performance.now();
    let outcome: Outcome = "ok";
    // Load and the handled count are read when the entry is written (see Presence.track); only status changes here.
    if (this.#limiter.active === 1) presence.update(BUSY);
    log.debug("message.in", { id: envelope.id, type: envelope.type, from: envelope.from });
    try {
      const result = await handler();
      log.debug("message.done", { id: envelope.id, type: envelope.type, from: envelope.from, ms: Math.round(performance.now() - started) });
      return result;
    } catch (err) {
      outcome = isCancellation(err) ? "cancelled" : "error";
      if (outcome === "error") this.#failed++;
      log.warn("message.failed", { id: envelope.id, type: envelope.type, from: envelope.from, ms: Math.round(performance.now() - started), error: err });
      throw err;
    } finally {
      const ms = performance.now() - started;
      this.#handled++;
      this.#busyMs += ms;
      metrics?.handled(envelope.type, outcome, ms / 1000);
      release();
      if (this.#limiter.active === 0) presence.update(AVAILABLE);
    }
  }
}

/** A handler that ended because its thread was cancelled or its agent stopped, rather than one that failed. */
function isCancellation(err: unknown): boolean {
  return err instanceof AbortedError || (err instanceof NatterError && err.code === ERROR_CODES.cancelled);
}

const BUSY = { status: "busy" } as const;
const AVAILABLE = { status: "available" } as const;
