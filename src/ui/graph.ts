import type { UiEdge } from "./events.ts";

/** Options of {@link EdgeWindow}. */
export interface EdgeWindowOptions {
  /** Width of the window, in ms; default 60 000. */
  windowMs?: number;
  /** Resolution of the window, in ms; default 1000. */
  bucketMs?: number;
}

interface Count {
  count: number;
  handoffs: number;
}

/** Counts messages per (from, to) pair over a sliding window, in time buckets so old traffic falls out. */
export class EdgeWindow {
  readonly windowMs: number;
  readonly #bucketMs: number;
  /** Bucket start time → "from\u0000to" → counts. */
  readonly #buckets = new Map<number, Map<string, Count>>();
  #changed = false;

  constructor(options: EdgeWindowOptions = {}) {
    this.windowMs = options.windowMs ?? 60_000;
    this.#bucketMs = options.bucketMs ?? 1000;
  }

  /** Counts one message from `from` to `to`. */
  add(from: string, to: string, handoff: boolean, now = Date.now()): void {
    const start = now - (now % this.#bucketMs);
    let bucket = this.#buckets.get(start);
    if (!bucket) this.#buckets.set(start, (bucket = new Map()));
    const key = `${from}\u0000${to}`;
    const c = bucket.get(key) ?? { count: 0, handoffs: 0 };
    c.count++;
    if (handoff) c.handoffs++;
    bucket.set(key, c);
    this.#changed = true;
  }

  /** The edges when something changed since the last call (traffic or expiry), else undefined. */
  takeChanges(now = Date.now()): UiEdge[] | undefined {
    for (const start of this.#buckets.keys()) {
      if (start + this.#bucketMs <= now - this.windowMs) {
        this.#buckets.delete(start);
        this.#changed = true;
      }
    }
    if (!this.#changed) return undefined;
    this.#changed = false;
    return this.edges();
  }

  /** Every edge over the window, heaviest first. */
  edges(): UiEdge[] {
    const total = new Map<string, Count>();
    for (const bucket of this.#buckets.values()) {
      for (const [key, c] of bucket) {
        const t = total.get(key) ?? { count: 0, handoffs: 0 };
        t.count += c.count;
        t.handoffs += c.handoffs;
        total.set(key, t);
      }
    }
    return [...total.entries()]
      .map(([key, c]) => {
        const [from = "", to = ""] = key.split("\u0000");
        return { from, to, ...c };
      })
      .sort((a, b) => b.count - a.count);
  }
}
