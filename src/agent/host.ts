import type { Subscription } from "@nats-io/transport-node";
import type { Config } from "../config/config.ts";
import { loadConfig } from "../config/config.ts";
import { ConfigError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { HostMetrics } from "../metrics/prometheus.ts";
import { decodeEnvelope, type Envelope } from "../protocol/envelope.ts";
import { ALL_SUBJECT, CANCEL_SUBJECT } from "../protocol/subjects.ts";
import { RegistryView } from "../registry/view.ts";
import { agentConnection } from "../security/identity.ts";
import { startVerifier, whenVerified, type Verifier } from "../security/verify.ts";
import { doneWithin, TIMED_OUT, within } from "../transport/bounded.ts";
import { openBus, type Bus } from "../transport/bus.ts";
import type { AgentDefinition } from "./define.ts";
import { AgentRuntime } from "./runtime.ts";

/** Agents started at once while a host comes up; keeps a thousand-agent start from flooding the server. */
const START_PARALLELISM = 64;

/** Options of {@link startHost}. */
export interface HostOptions {
  /** The agents to run; the same definition twice runs two instances. */
  agents: readonly AgentDefinition[];
  /** Default: {@link loadConfig} from the environment. */
  config?: Config;
  /** Default: a logger at NATTER_LOG_LEVEL writing to standard error. */
  logger?: Logger;
  /** An already open bus to share; the host then does not close it. */
  bus?: Bus;
  /** While no server answers, keep trying to connect for this long (ms; Infinity: until one does). Default 0: fail at once. */
  connectWaitMs?: number;
}

/** A process's worth of agents on one NATS connection (one per agent with NATTER_CREDENTIALS_DIR). */
export interface Host {
  /** The shared connection; with per-agent credentials, the first agent's. */
  readonly bus: Bus;
  /** One running instance per definition given, in the same order. */
  readonly agents: readonly AgentRuntime[];
  /** The port `/metrics` is served on, when NATTER_METRICS_PORT is set (0 there picks a free one). */
  readonly metricsPort: number | undefined;
  /**
   * Stops every agent (each finishing or handing back its work), then the connection, all within
   * NATTER_SHUTDOWN_MS whatever the state of the connection; says how it ended.
   */
  stop(): Promise<StopOutcome>;
}

/**
 * How a stop ended: `clean`; `unreachable` when the server could not be told (registry entries expire with their TTL,
 * unacknowledged messages come back after the ack wait); `deadline` when NATTER_SHUTDOWN_MS ran out and the
 * connection was closed with work still going.
 */
export type StopOutcome = "clean" | "unreachable" | "deadline";

/** Runs `stop` for up to `shutdownMs`; past it, runs `cut` (closing connections without waiting) and says `deadline`. */
export async function stopWithin(shutdownMs: number, stop: () => Promise<boolean>, cut: () => Promise<unknown>): Promise<StopOutcome> {
  const reached = await within(stop(), shutdownMs).catch(() => false);
  if (reached !== TIMED_OUT) return reached ? "clean" : "unreachable";
  await cut();
  return "deadline";
}

/** Connects once (or once per agent), starts every agent, and fans `agents.all` out to them from one subscription per connection. */
export async function startHost(options: HostOptions): Promise<Host> {
  const config = options.config ?? loadConfig();
  const connections = await connect(config, options);
  const settled = await Promise.allSettled(connections.map((c) => startShared(c)));
  const failed = settled.find((s) => s.status === "rejected");
  if (failed) {
    await Promise.all(settled.map((s) => (s.status === "fulfilled" ? (s.value.verifier?.stop(), s.value.registry.stop()) : undefined)));
    await Promise.all(connections.filter((c) => c.owned).map((c) => c.bus.close()));
    throw failed.reason;
  }
  const shared = settled.map((s) => (s as PromiseFulfilledResult<Shared>).value);
  // prom-client loads only when metrics are on; off, the runtimes get no hooks and do no metrics work at all.
  const metrics = config.metricsPort === undefined ? undefined : new (await import("../metrics/prometheus.ts")).HostMetrics();
  const forAgent = metrics && ((agent: string) => metrics.forAgent(agent));
  const runtimes = connections.flatMap((c, i) => c.definitions.map((def) => new AgentRuntime(c.bus, def, { ...shared[i], metrics: forAgent })));
  const listeners = connections.map((c, i) => {
    const mine = runtimes.filter((r) => r.bus === c.bus);
    const { verifier, registry } = shared[i]!;
    const broadcasts = subscribeBroadcasts(c.bus, mine, verifier);
    const cancels = subscribeCancels(c.bus, mine, verifier);
    const watching = watchReconnects(c.bus, mine);
    return { stop: () => (broadcasts.unsubscribe(), cancels.unsubscribe(), watching.stop(), verifier?.stop(), registry.stop()) };
  });
  const owned = connections.filter((c) => c.owned).map((c) => c.bus);
  const closeAll = async (): Promise<boolean> => {
    await metrics?.stop();
    const stopped = await Promise.all(listeners.map((l, i) => doneWithin(l.stop(), connections[i]!.bus.stopStepMs())));
    const closed = await Promise.all(owned.map((bus) => bus.close()));
    return [...stopped, ...closed].every(Boolean);
  };
  const started: AgentRuntime[] = [];
  try {
    for (let i = 0; i < runtimes.length; i += START_PARALLELISM) {
      const slice = runtimes.slice(i, i + START_PARALLELISM);
      await Promise.all(slice.map(async (r) => (await r.start(), started.push(r))));
    }
  } catch (err) {
    await Promise.all(started.map((r) => r.stop(0)));
    await closeAll();
    throw err;
  }
  let metricsPort: number | undefined;
  if (metrics) {
    const named = connections.map((c) => ({ name: c.owned && config.credentialsDir !== undefined ? `natter-${c.definitions[0]!.name}` : "natter-host", bus: c.bus }));
    try {
      metricsPort = await metrics.start({ port: config.metricsPort!, connections: named, runtimes });
    } catch (err) {
      await Promise.all(runtimes.map((r) => r.stop(0)));
      await closeAll();
      throw new ConfigError(`NATTER_METRICS_PORT: cannot serve metrics on port ${config.metricsPort}: ${(err as Error).message}`, { cause: err });
    }
    connections[0]!.bus.log.info("metrics.serving", { url: `http://127.0.0.1:${metricsPort}/metrics` });
  }
  let stopping: Promise<StopOutcome> | undefined;
  return {
    bus: connections[0]!.bus,
    agents: runtimes,
    metricsPort,
    stop: () =>
      (stopping ??= stopWithin(
        config.shutdownMs,
        async () => {
          const agents = await Promise.all(runtimes.map((r) => r.stop()));
          const closed = await closeAll();
          return closed && agents.every(Boolean);
        },
        () => Promise.all(owned.map((bus) => bus.nc.close().catch(() => undefined))),
      )),
  };
}

interface Connection {
  bus: Bus;
  owned: boolean;
  definitions: AgentDefinition[];
}

/**
 * One shared bus, or with NATTER_CREDENTIALS_DIR one bus per agent name, each with its own credentials
 * and inbox prefix. Per-agent users may not manage streams, so those buses do not provision.
 */
async function connect(config: Config, options: HostOptions): Promise<Connection[]> {
  const busOptions = { logger: options.logger, waitMs: options.connectWaitMs };
  if (options.bus || config.credentialsDir === undefined) {
    const bus = options.bus ?? (await openBus(config, { name: "natter-host", ...busOptions }));
    return [{ bus, owned: !options.bus, definitions: [...options.agents] }];
  }
  const byName = new Map<string, AgentDefinition[]>();
  for (const def of options.agents) byName.set(def.name, [...(byName.get(def.name) ?? []), def]);
  const connections: Connection[] = [];
  try {
    for (const [name, definitions] of byName) {
      const own = agentConnection(config, name)!;
      const bus = await openBus(own.config, { name: `natter-${name}`, inboxPrefix: own.inboxPrefix, provision: false, ...busOptions });
      connections.push({ bus, owned: true, definitions });
    }
  } catch (err) {
    await Promise.all(connections.map((c) => c.bus.close()));
    throw err;
  }
  if (connections.length === 0) throw new ConfigError("NATTER_CREDENTIALS_DIR is set but no agents were given");
  return connections;
}

interface Shared {
  registry: RegistryView;
  verifier: Verifier | undefined;
}

/**
 * What a connection's runtimes share: one registry view (following only the agent's keys when the connection
 * serves one agent name), and a started registry-key cache when NATTER_VERIFY is warn or enforce.
 */
async function startShared({ bus, definitions }: Connection): Promise<Shared> {
  const names = new Set(definitions.map((d) => d.name));
  const agent = names.size === 1 ? [...names][0] : undefined;
  const registry = await RegistryView.open(bus, { ttlMs: bus.config.registryTtlMs, log: bus.log, agent });
  try {
    return { registry, verifier: await startVerifier(bus.registry, bus.config, bus.log) };
  } catch (err) {
    await registry.stop();
    throw err;
  }
}

function subscribeBroadcasts(bus: Bus, runtimes: readonly AgentRuntime[], verifier: Verifier | undefined): Subscription {
  return bus.nc.subscribe(ALL_SUBJECT, {
    callback: (err, msg) => {
      if (err) return;
      let envelope;
      try {
        envelope = decodeEnvelope(msg.data);
      } catch (e) {
        bus.log.warn("broadcast.rejected", { reason: (e as Error).message, bytes: msg.data.length });
        return;
      }
      const fanOut = (env: Envelope) => {
        if (env.type === "broadcast") for (const r of runtimes) r.deliverBroadcast(env);
        else bus.log.debug(`presence.${env.type}`, { from: env.from, content: env.content });
      };
      const checked = envelope;
      whenVerified(verifier, checked, msg, "broadcast", bus.log, () => fanOut(checked));
    },
  });
}

function subscribeCancels(bus: Bus, runtimes: readonly AgentRuntime[], verifier: Verifier | undefined): Subscription {
  return bus.nc.subscribe(CANCEL_SUBJECT, {
    callback: (err, msg) => {
      if (err) return;
      let envelope: Envelope;
      let thread: string;
      try {
        envelope = decodeEnvelope(msg.data);
        if (envelope.type !== "cancel" || !envelope.threadId) throw new Error('a cancellation needs type "cancel" and a threadId');
        thread = envelope.threadId;
      } catch (e) {
        bus.log.warn("cancel.rejected", { reason: (e as Error).message, bytes: msg.data.length });
        return;
      }
      whenVerified(verifier, envelope, msg, "cancel", bus.log, () => {
        for (const r of runtimes) r.cancelThread(thread, envelope.from, envelope.content);
      });
    },
  });
}

function watchReconnects(bus: Bus, runtimes: readonly AgentRuntime[]): { stop(): void } {
  const status = bus.nc.status()[Symbol.asyncIterator]();
  void (async () => {
    for (let next = await status.next(); !next.done; next = await status.next()) {
      if (next.value.type === "reconnect") for (const r of runtimes) r.reconnected();
    }
  })();
  return { stop: () => void status.return?.() };
}
