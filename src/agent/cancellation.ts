import { MAX_TIMER_MS } from "../transport/bounded.ts";

/**
 * What can stop one handler run: the agent shutting down (`outer`), the run's thread being cancelled, or the
 * message's deadline passing. The AbortSignal is made only when something asks for it. Making it (a controller,
 * plus `AbortSignal.any` to join it with shutdown) cost more CPU than the rest of delivering a message, and most
 * handlers never look. Whoever makes a Cancellation calls {@link end} when the run is over.
 */
export class Cancellation {
  #aborted = false;
  #reason: unknown;
  #controller: AbortController | undefined;
  #signal: AbortSignal | undefined;
  #timer: NodeJS.Timeout | undefined;
  #ended = false;

  /** `deadline`: epoch milliseconds at which the run's signal fires, if any. */
  constructor(
    readonly outer: AbortSignal,
    readonly deadline?: number,
  ) {}

  /** Whether the run was cancelled or the agent is shutting down. */
  get aborted(): boolean {
    return this.#aborted || this.outer.aborted;
  }

  /** Cancels the run; its signal fires, now or when it is first asked for. */
  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
    this.#clearTimer();
  }

  /** Fires on any cause. */
  get signal(): AbortSignal {
    if (this.#signal) return this.#signal;
    const controller = new AbortController();
    if (this.#aborted) controller.abort(this.#reason);
    this.#controller = controller;
    this.#signal = AbortSignal.any([this.outer, controller.signal]);
    if (!this.#aborted) this.#armDeadline();
    return this.#signal;
  }

  /** The run is over: a deadline timer still waiting is dropped, so a far deadline holds nothing until then. */
  end(): void {
    this.#ended = true;
    this.#clearTimer();
  }

  /**
   * Our own timer, not `AbortSignal.timeout`: Node 20's `AbortSignal.any` holds a timeout signal only weakly
   * (nodejs/node#57736), so after a garbage collection a deadline made that way may never fire. This timer holds
   * the run, and {@link end} clears it.
   */
  #armDeadline(): void {
    // A signal first asked for after the run ended (work the handler left running) gets no timer nobody would clear.
    if (this.deadline === undefined || this.#ended) return;
    const left = this.deadline - Date.now();
    // Node fires a timer longer than 2^31 - 1 ms (about 24.8 days) at once: such a deadline cannot come first.
    if (left > MAX_TIMER_MS) return;
    if (left <= 0) return this.abort(new DOMException("the message's deadline has passed", "TimeoutError"));
    // A timer can fire a little before the clock reaches the deadline (Node counts from the event loop's cached
    // time): then it waits out the rest, so whoever checks the deadline after the signal sees it passed.
    this.#timer = setTimeout(() => this.#armDeadline(), left);
    this.#timer.unref();
  }

  #clearTimer(): void {
    if (this.#timer === undefined) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

/** Runs `work` under a Cancellation bound to `outer` and `deadline`, ended when the work settles. */
export async function cancellable<T>(outer: AbortSignal, deadline: number | undefined, work: (run: Cancellation) => Promise<T> | T): Promise<T> {
  const run = new Cancellation(outer, deadline);
  try {
    return await work(run);
  } finally {
    run.end();
  }
}
