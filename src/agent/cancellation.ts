/**
 * What can stop one handler run: the agent shutting down (`outer`) or the run's thread being cancelled.
 * The AbortSignal is made only when something asks for it. Making it (a controller, plus `AbortSignal.any`
 * to join it with shutdown) cost more CPU than the rest of delivering a message, and most handlers never look.
 */
export class Cancellation {
  #aborted = false;
  #reason: unknown;
  #controller: AbortController | undefined;
  #signal: AbortSignal | undefined;

  constructor(readonly outer: AbortSignal) {}

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
  }

  /** Fires on either cause. */
  get signal(): AbortSignal {
    if (this.#signal) return this.#signal;
    const controller = new AbortController();
    if (this.#aborted) controller.abort(this.#reason);
    this.#controller = controller;
    this.#signal = AbortSignal.any([this.outer, controller.signal]);
    return this.#signal;
  }
}
