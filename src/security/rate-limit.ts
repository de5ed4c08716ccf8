/** Senders remembered at most; the idlest are forgotten past it. */
const MAX_SENDERS = 10_000;

/**
 * Per-sender rate limit (generic cell rate algorithm): `ratePerSecond` sustained, `burst` at once.
 * A mailbox message over the limit reserves the slot it will run in, so its redelivery passes without waiting twice.
 */
export class SenderRateLimiter {
  readonly #intervalMs: number;
  readonly #toleranceMs: number;
  /** Theoretical arrival time of each sender's next message. */
  readonly #tat = new Map<string, number>();
  /** Mailbox messages already given a later slot, with that slot's time. */
  readonly #reserved = new Map<string, number>();

  /**
   * @param ratePerSecond messages per second per sender, sustained
   * @param burst messages a sender may send at once before the rate applies
   */
  constructor(ratePerSecond: number, burst: number) {
    this.#intervalMs = 1000 / ratePerSecond;
    this.#toleranceMs = this.#intervalMs * Math.max(0, burst - 1);
  }

  /** The milliseconds until `sender` has a slot, 0 when it has one now; takes nothing. */
  peek(sender: string, now = Date.now()): number {
    const waitMs = Math.max(this.#tat.get(sender) ?? now, now) - this.#toleranceMs - now;
    return waitMs > 0 ? Math.ceil(waitMs) : 0;
  }

  /** Takes a slot for a request from `sender` now; the milliseconds to wait when there is none (nothing taken). */
  tryTake(sender: string, now = Date.now()): number {
    const tat = Math.max(this.#tat.get(sender) ?? now, now);
    const waitMs = tat - this.#toleranceMs - now;
    if (waitMs > 0) return Math.ceil(waitMs);
    this.#set(sender, tat + this.#intervalMs);
    return 0;
  }

  /**
   * Takes a slot for mailbox message `id` from `sender`: 0 to run it now, else the delay after which it will have
   * its slot (reserved, so the same message is let through when it comes back).
   */
  reserve(sender: string, id: string, now = Date.now()): number {
    const slot = this.#reserved.get(id);
    if (slot !== undefined) {
      if (slot - now > this.#intervalMs) return Math.ceil(slot - now);
      this.#reserved.delete(id);
      return 0;
    }
    const tat = Math.max(this.#tat.get(sender) ?? now, now);
    this.#set(sender, tat + this.#intervalMs);
    const waitMs = tat - this.#toleranceMs - now;
    if (waitMs <= 0) return 0;
    this.#reserved.set(id, now + waitMs);
    if (this.#reserved.size > MAX_SENDERS) this.#reserved.delete(this.#reserved.keys().next().value!);
    return Math.ceil(waitMs);
  }

  #set(sender: string, tat: number): void {
    this.#tat.delete(sender);
    this.#tat.set(sender, tat);
    if (this.#tat.size > MAX_SENDERS) this.#tat.delete(this.#tat.keys().next().value!);
  }
}
