import { AbortedError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { Envelope } from "../protocol/envelope.ts";
import { Cancellation } from "./cancellation.ts";
import { deadlineOf } from "./deadline.ts";

/** Cancelled threads remembered at most, so a long-running agent does not grow without bound. */
const REMEMBERED_CANCELLATIONS = 10_000;

/** An agent's running handlers by thread, so a cancellation reaches them, and the threads recently cancelled. */
export class ThreadCancellation {
  /** Running handlers by thread: one alone (the usual case, no Set made), or several. Made by the first run. */
  #byThread: Map<string, Cancellation | Set<Cancellation>> | undefined;
  /** Recently cancelled threads (bounded), so their queued and future messages are skipped. Made by the first cancellation. */
  #cancelled: Set<string> | undefined;

  constructor(readonly log: Logger) {}

  /** Whether `thread` was cancelled here. */
  has(thread: string): boolean {
    return this.#cancelled?.has(thread) ?? false;
  }

  /** Cancels `thread`: running handlers' signals fire, and later messages of it are skipped. */
  cancel(thread: string, by: string, reason: string): void {
    const cancelled = (this.#cancelled ??= new Set());
    cancelled.add(thread);
    if (cancelled.size > REMEMBERED_CANCELLATIONS) cancelled.delete(cancelled.values().next().value!);
    const running = this.#byThread?.get(thread);
    if (!running) return;
    const runs = running instanceof Set ? [...running] : [running];
    this.log.info("thread.cancelled", { thread, by, reason, running: runs.length });
    for (const c of runs) c.abort(new AbortedError(`thread ${thread} cancelled by ${by}: ${reason}`));
  }

  /** Runs `work` with a cancellation that fires when `outer` does, the message's thread is cancelled or its deadline passes. */
  async run<T>(envelope: Envelope, work: (run: Cancellation) => Promise<T>, outer: AbortSignal): Promise<T> {
    const run = this.start(envelope, outer);
    try {
      return await work(run);
    } finally {
      this.finish(envelope, run);
    }
  }

  /**
   * {@link run} in two steps, for a caller that awaits the work itself: the run of `envelope`, registered under its
   * thread; whoever starts one calls {@link finish} when the work settles.
   */
  start(envelope: Envelope, outer: AbortSignal): Cancellation {
    const thread = envelope.threadId ?? envelope.id;
    const run = new Cancellation(outer, deadlineOf(envelope));
    if (this.#cancelled?.has(thread)) run.abort(new AbortedError(`thread ${thread} was cancelled`));
    this.#add(thread, run);
    return run;
  }

  /** The work of a run from {@link start} settled. */
  finish(envelope: Envelope, run: Cancellation): void {
    run.end();
    this.#remove(envelope.threadId ?? envelope.id, run);
  }

  #add(thread: string, run: Cancellation): void {
    const byThread = (this.#byThread ??= new Map());
    const running = byThread.get(thread);
    if (!running) byThread.set(thread, run);
    else if (running instanceof Set) running.add(run);
    else byThread.set(thread, new Set([running, run]));
  }

  #remove(thread: string, run: Cancellation): void {
    const running = this.#byThread?.get(thread);
    if (running === run) this.#byThread!.delete(thread);
    else if (running instanceof Set) {
      running.delete(run);
      if (running.size === 0) this.#byThread!.delete(thread);
    }
  }
}
