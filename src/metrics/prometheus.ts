// A host's metrics in Prometheus text format. Loaded (with prom-client) only when NATTER_METRICS_PORT is set.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { observeModelCalls } from "../llm/observe.ts";
import type { Bus } from "../transport/bus.ts";
import type { AgentMetrics, Outcome } from "./hooks.ts";
import { MessageTally, type TypeTally } from "./tally.ts";

/** How often each agent's mailbox backlog is read from its consumer, in milliseconds. */
export const BACKLOG_SAMPLE_MS = 5000;

/** Handler durations, in seconds: from a quick tool call to a long model run. */
const HANDLER_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
const MODEL_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120];

/** What the metrics read of a running agent instance at each scrape (an AgentRuntime). */
export interface MeteredAgent {
  readonly name: string;
  readonly bus: Bus;
  /** Handlers running now. */
  readonly load: number;
  /** Handlers it runs at most at once. */
  readonly concurrency: number;
}

/** A connection of the host and the name it is labelled with. */
export interface MetricsConnection {
  name: string;
  bus: Bus;
}

/** Options of {@link HostMetrics.start}. */
export interface HostMetricsOptions {
  /** Port to serve `/metrics` on; 0 picks a free one. */
  port: number;
  connections: readonly MetricsConnection[];
  runtimes: readonly MeteredAgent[];
  /** Milliseconds between backlog samples. Default {@link BACKLOG_SAMPLE_MS}. */
  backlogSampleMs?: number;
}

/** A host's metrics registry: per-agent hooks for the runtimes, sampled gauges, and the `/metrics` endpoint. */
export class HostMetrics {
  readonly registry = new Registry();
  readonly #tally = new MessageTally(HANDLER_BUCKETS);
  /** Redeliveries and requests in flight by agent, plain numbers read at scrape time. */
  readonly #perAgent = new Map<string, { redelivered: number; inFlight: number }>();
  readonly #backlog = new Gauge({ name: "natter_mailbox_backlog", help: "Mailbox messages not yet delivered (the consumer's num_pending), sampled every few seconds, by agent.", labelNames: ["agent"] as const, registers: [this.registry] });
  readonly #reconnects = new Counter({ name: "natter_reconnects_total", help: "Times a connection to NATS came back after a loss.", labelNames: ["connection"] as const, registers: [this.registry] });
  readonly #tokens = new Counter({ name: "natter_llm_tokens_total", help: "Model tokens, by model and direction (in: prompt, out: completion).", labelNames: ["model", "direction"] as const, registers: [this.registry] });
  readonly #modelCalls = new Histogram({ name: "natter_llm_call_duration_seconds", help: "Model-call latency, by model and outcome (ok, error).", labelNames: ["model", "outcome"] as const, buckets: MODEL_BUCKETS, registers: [this.registry] });
  readonly #connected = new Map<string, boolean>();
  readonly #stops: (() => void)[] = [];
  #server: Server | undefined;

  constructor() {
    this.#tally.register(this.registry);
    const perAgent = this.#perAgent;
    new Counter({
      name: "natter_redeliveries_total",
      help: "Mailbox messages delivered again, by agent.",
      labelNames: ["agent"] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [agent, n] of perAgent) this.labels(agent).inc(n.redelivered);
      },
    });
    new Gauge({
      name: "natter_requests_in_flight",
      help: "Requests being answered now (waiting for a slot or running), by agent.",
      labelNames: ["agent"] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [agent, n] of perAgent) this.labels(agent).set(n.inFlight);
      },
    });
  }

  /** The hooks one agent's runtime calls: plain additions on figures made once per agent and type, read at scrape time. */
  forAgent(agent: string): AgentMetrics {
    const byType = new Map<string, TypeTally>();
    let figures = this.#perAgent.get(agent);
    if (!figures) this.#perAgent.set(agent, (figures = { redelivered: 0, inFlight: 0 }));
    const mine = figures;
    return {
      handled: (type: string, outcome: Outcome, seconds?: number) => {
        let tally = byType.get(type);
        if (!tally) byType.set(type, (tally = this.#tally.of(agent, type)));
        tally.add(outcome, seconds);
      },
      redelivered: () => void mine.redelivered++,
      requests: (delta) => void (mine.inFlight += delta),
    };
  }

  /** Follows the connections, the runtimes' slots and backlogs and the model calls, then serves `/metrics`; resolves with the port. */
  async start(options: HostMetricsOptions): Promise<number> {
    const { connections, runtimes } = options;
    new Gauge({
      name: "natter_handler_slots_used",
      help: "Handler slots in use now (handlers running), by agent.",
      labelNames: ["agent"] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const r of runtimes) this.labels(r.name).inc(r.load);
      },
    });
    new Gauge({
      name: "natter_handler_slots",
      help: "Handler slots (concurrency), by agent.",
      labelNames: ["agent"] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const r of runtimes) this.labels(r.name).inc(r.concurrency);
      },
    });
    const connected = this.#connected;
    new Gauge({
      name: "natter_connection_up",
      help: "1 while a connection to NATS is up, 0 while it is lost.",
      labelNames: ["connection"] as const,
      registers: [this.registry],
      collect() {
        for (const [name, up] of connected) this.labels(name).set(up ? 1 : 0);
      },
    });
    for (const c of connections) this.#watch(c);
    this.#sampleBacklog(connections, runtimes, options.backlogSampleMs ?? BACKLOG_SAMPLE_MS);
    this.#stops.push(
      observeModelCalls((call) => {
        this.#modelCalls.labels(call.model, call.ok ? "ok" : "error").observe(call.seconds);
        if (call.promptTokens) this.#tokens.labels(call.model, "in").inc(call.promptTokens);
        if (call.completionTokens) this.#tokens.labels(call.model, "out").inc(call.completionTokens);
      }),
    );
    return this.#listen(options.port);
  }

  /** Stops sampling and following, and closes the endpoint. */
  async stop(): Promise<void> {
    for (const stop of this.#stops.splice(0)) stop();
    const server = this.#server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  #watch({ name, bus }: MetricsConnection): void {
    this.#connected.set(name, !bus.nc.isClosed());
    this.#reconnects.labels(name).inc(0);
    const status = bus.nc.status()[Symbol.asyncIterator]();
    void (async () => {
      for (let next = await status.next(); !next.done; next = await status.next()) {
        const { type } = next.value;
        if (type === "disconnect") this.#connected.set(name, false);
        else if (type === "reconnect") (this.#connected.set(name, true), this.#reconnects.labels(name).inc());
        else if (type === "close") this.#connected.set(name, false);
      }
    })();
    this.#stops.push(() => void status.return?.());
  }

  /** Reads each agent's consumer every `everyMs`, one at a time: the backlog is never counted per message. */
  #sampleBacklog(connections: readonly MetricsConnection[], runtimes: readonly MeteredAgent[], everyMs: number): void {
    const agents = new Map<string, Bus>();
    for (const r of runtimes) agents.set(r.name, r.bus);
    if (agents.size === 0 || connections.length === 0) return;
    let sampling = false;
    const sample = async () => {
      if (sampling) return;
      sampling = true;
      try {
        for (const [agent, bus] of agents) {
          if (bus.nc.isClosed()) continue;
          // A consumer missing or a server away leaves the last sample; the next tick tries again.
          const info = await bus.jsm.consumers.info(bus.config.stream, agent).catch(() => undefined);
          if (info) this.#backlog.labels(agent).set(info.num_pending);
        }
      } finally {
        sampling = false;
      }
    };
    void sample();
    const timer = setInterval(() => void sample(), everyMs);
    timer.unref();
    this.#stops.push(() => clearInterval(timer));
  }

  #listen(port: number): Promise<number> {
    const server = createServer((req, res) => {
      if (req.method !== "GET" || (req.url ?? "").split("?")[0] !== "/metrics") {
        res.writeHead(404, { "content-type": "text/plain" }).end("not found: metrics are at GET /metrics\n");
        return;
      }
      this.registry.metrics().then(
        (text) => res.writeHead(200, { "content-type": this.registry.contentType }).end(text),
        (err: unknown) => res.writeHead(500, { "content-type": "text/plain" }).end(`metrics failed: ${String(err)}\n`),
      );
    });
    this.#server = server;
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, () => {
        server.off("error", reject);
        resolve((server.address() as AddressInfo).port);
      });
    });
  }
}
