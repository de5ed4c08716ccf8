// Per-message figures kept in plain numbers and turned into Prometheus series only when scraped: prom-client's
// own counters and histograms hash their labels on every call, which is the cost a message should not pay.
import type { Metric, Registry } from "prom-client";
import { OUTCOMES, type Outcome } from "./hooks.ts";

/** One agent and message type: how its messages ended, and how long their handlers ran. */
export class TypeTally {
  readonly outcomes: Record<Outcome, number> = { ok: 0, error: 0, dead_lettered: 0, rejected: 0, cancelled: 0 };
  /** Observations per bucket (not cumulative); the last one is +Inf. */
  readonly buckets: number[];
  sum = 0;
  count = 0;

  constructor(readonly agent: string, readonly type: string, readonly bounds: readonly number[]) {
    this.buckets = new Array<number>(bounds.length + 1).fill(0);
  }

  /** Counts one message's outcome, and its handler time when one ran. */
  add(outcome: Outcome, seconds: number | undefined): void {
    this.outcomes[outcome]++;
    if (seconds === undefined) return;
    let i = 0;
    while (i < this.bounds.length && seconds > this.bounds[i]!) i++;
    this.buckets[i]!++;
    this.sum += seconds;
    this.count++;
  }
}

interface Series {
  value: number;
  labels: Record<string, string | number>;
  metricName?: string;
}

/** The tallies of a host, exposed as `natter_messages_total` and `natter_handler_duration_seconds`. */
export class MessageTally {
  readonly #tallies = new Map<string, TypeTally>();

  constructor(readonly bounds: readonly number[]) {}

  /** The tally of `agent`'s messages of `type`, made on first use; callers keep it rather than look it up per message. */
  of(agent: string, type: string): TypeTally {
    const key = `${agent}\u0000${type}`;
    let tally = this.#tallies.get(key);
    if (!tally) this.#tallies.set(key, (tally = new TypeTally(agent, type, this.bounds)));
    return tally;
  }

  /** Adds both metrics to `registry`. They are read-only views with prom-client's `get()`, which is all a registry asks of a metric. */
  register(registry: Registry): void {
    registry.registerMetric(this.#view("natter_messages_total", "Messages handled, by agent, message type and outcome.", "counter", () => this.#messages()));
    registry.registerMetric(this.#view("natter_handler_duration_seconds", "Time handlers ran, by agent and message type.", "histogram", () => this.#durations()));
  }

  #view(name: string, help: string, type: "counter" | "histogram", values: () => Series[]): Metric {
    const get = async () => ({ name, help, type, aggregator: "sum" as const, values: values() });
    return { name, help, type, aggregator: "sum", get } as unknown as Metric;
  }

  #messages(): Series[] {
    const out: Series[] = [];
    for (const t of this.#tallies.values()) {
      for (const outcome of OUTCOMES) if (t.outcomes[outcome] > 0) out.push({ value: t.outcomes[outcome], labels: { agent: t.agent, type: t.type, outcome } });
    }
    return out;
  }

  #durations(): Series[] {
    const out: Series[] = [];
    for (const t of this.#tallies.values()) {
      if (t.count === 0) continue;
      const labels = { agent: t.agent, type: t.type };
      let cumulative = 0;
      t.bounds.forEach((le, i) => {
        cumulative += t.buckets[i]!;
        out.push({ value: cumulative, labels: { ...labels, le }, metricName: "natter_handler_duration_seconds_bucket" });
      });
      out.push({ value: t.count, labels: { ...labels, le: "+Inf" }, metricName: "natter_handler_duration_seconds_bucket" });
      out.push({ value: t.sum, labels, metricName: "natter_handler_duration_seconds_sum" });
      out.push({ value: t.count, labels, metricName: "natter_handler_duration_seconds_count" });
    }
    return out;
  }
}
