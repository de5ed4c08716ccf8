/** Bounds how many tasks run at once; waiters queue up to `maxQueued`. */
export class Limiter {
  #active = 0;
  readonly #waiters: (() => void)[] = [];
  readonly #idle: (() => void)[] = [];

  /**
   * @param max most tasks running at once
   * @param maxQueued most tasks waiting for a slot; `tryAcquire` fails past it
   */
  constructor(
    readonly max: number,
    readonly maxQueued = Number.POSITIVE_INFINITY,
  ) {}

  /** Tasks running now. */
  get active(): number {
    return this.#active;
  }

  /** Tasks waiting for a slot. */
  get queued(): number {
    return this.#waiters.length;
  }

  /** Waits for a slot; returns the function that frees it. */
  async acquire(): Promise<() => void> {
    if (this.#active < this.max) {
      this.#active++;
      return this.#releaser();
    }
    await new Promise<void>((resolve) => this.#waiters.push(resolve));
    return this.#releaser();
  }

  /** A slot, or undefined when the queue is already full. */
  tryAcquire(): Promise<() => void> | undefined {
    if (this.#active >= this.max && this.#waiters.length >= this.maxQueued) return undefined;
    return this.acquire();
  }

  /** Resolves when nothing runs and nothing waits. */
  idle(): Promise<void> {
    if (this.#active === 0 && this.#waiters.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = this.#waiters.shift();
      // The slot passes straight to the next waiter, so `active` stays the same.
      if (next) next();
      else {
        this.#active--;
        if (this.#active === 0) for (const r of this.#idle.splice(0)) r();
      }
    };
  }
}
