/**
 * Bounds how many tasks run at once; waiters queue up to `maxQueued`. Waiters are grouped by key (the sender) and
 * served round robin, one per key in turn, so a key with many waiting cannot keep a slot from the others for longer
 * than one task each; and `tryAcquire` lets one key fill at most half of the queue.
 */
export class Limiter {
  #active = 0;
  #queued = 0;
  /** Waiters by key, keys in the order they are served next; made when the first task waits. */
  #waiting: Map<string, (() => void)[]> | undefined;
  /** Made when the first caller waits for idle. */
  #idle: (() => void)[] | undefined;

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
    return this.#queued;
  }

  /** Waits for a slot, in `key`'s turn; returns the function that frees it. */
  async acquire(key = ""): Promise<() => void> {
    if (this.#active < this.max) {
      this.#active++;
      return this.#releaser();
    }
    await new Promise<void>((resolve) => {
      const waiting = (this.#waiting ??= new Map());
      const list = waiting.get(key);
      if (list) list.push(resolve);
      else waiting.set(key, [resolve]);
      this.#queued++;
    });
    return this.#releaser();
  }

  /** A slot at once when one is free (its release function), else undefined: nothing waits, nothing is queued. */
  take(): (() => void) | undefined {
    if (this.#active >= this.max) return undefined;
    this.#active++;
    return this.#releaser();
  }

  /** A slot, or undefined when the queue is full or `key` already holds half of it. */
  tryAcquire(key = ""): Promise<() => void> | undefined {
    if (this.#active >= this.max) {
      const mine = this.#waiting?.get(key)?.length ?? 0;
      if (this.#queued >= this.maxQueued || mine >= Math.max(1, Math.ceil(this.maxQueued / 2))) return undefined;
    }
    return this.acquire(key);
  }

  /** Resolves when nothing runs and nothing waits. */
  idle(): Promise<void> {
    if (this.#active === 0 && this.#queued === 0) return Promise.resolve();
    return new Promise((resolve) => (this.#idle ??= []).push(resolve));
  }

  /** The next waiter: the first of the key whose turn it is; that key then goes to the back of the line. */
  #next(): (() => void) | undefined {
    const waiting = this.#waiting;
    if (!waiting) return undefined;
    const first = waiting.entries().next();
    if (first.done) return undefined;
    const [key, list] = first.value;
    const next = list.shift()!;
    waiting.delete(key);
    if (list.length > 0) waiting.set(key, list);
    this.#queued--;
    return next;
  }

  #releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = this.#next();
      // The slot passes straight to the next waiter, so `active` stays the same.
      if (next) next();
      else {
        this.#active--;
        if (this.#active === 0 && this.#idle) for (const r of this.#idle.splice(0)) r();
      }
    };
  }
}
