import type { Subscription } from "@nats-io/transport-node";
import type { Config } from "../config/config.ts";
import { loadConfig } from "../config/config.ts";
import type { Logger } from "../logger.ts";
import { decodeEnvelope } from "../protocol/envelope.ts";
import { ALL_SUBJECT, CANCEL_SUBJECT } from "../protocol/subjects.ts";
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
  logger?: Logger;
  /** An already open bus to share; the host then does not close it. */
  bus?: Bus;
}

/** A process's worth of agents on one NATS connection. */
export interface Host {
  readonly bus: Bus;
  readonly agents: readonly AgentRuntime[];
  /** Stops every agent (each finishing or handing back its work within the shutdown deadline), then the connection. */
  stop(): Promise<void>;
}

/** Connects once, starts every agent, and fans `agents.all` out to them from a single subscription. */
export async function startHost(options: HostOptions): Promise<Host> {
  const config = options.config ?? loadConfig();
  const bus = options.bus ?? (await openBus(config, { name: "natter-host", ...(options.logger ? { logger: options.logger } : {}) }));
  const runtimes = options.agents.map((def) => new AgentRuntime(bus, def));
  const broadcasts = subscribeBroadcasts(bus, runtimes);
  const cancels = subscribeCancels(bus, runtimes);
  const watching = watchReconnects(bus, runtimes);
  const started: AgentRuntime[] = [];
  try {
    for (let i = 0; i < runtimes.length; i += START_PARALLELISM) {
      const slice = runtimes.slice(i, i + START_PARALLELISM);
      await Promise.all(slice.map(async (r) => (await r.start(), started.push(r))));
    }
  } catch (err) {
    await Promise.all(started.map((r) => r.stop(0)));
    broadcasts.unsubscribe();
    cancels.unsubscribe();
    if (!options.bus) await bus.close();
    throw err;
  }
  let stopping: Promise<void> | undefined;
  return {
    bus,
    agents: runtimes,
    stop: () =>
      (stopping ??= (async () => {
        await Promise.all(runtimes.map((r) => r.stop()));
        broadcasts.unsubscribe();
        cancels.unsubscribe();
        watching.stop();
        if (!options.bus) await bus.close();
      })()),
  };
}

function subscribeBroadcasts(bus: Bus, runtimes: readonly AgentRuntime[]): Subscription {
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
      if (envelope.type === "broadcast") for (const r of runtimes) r.deliverBroadcast(envelope);
      else bus.log.debug(`presence.${envelope.type}`, { from: envelope.from, content: envelope.content });
    },
  });
}

function subscribeCancels(bus: Bus, runtimes: readonly AgentRuntime[]): Subscription {
  return bus.nc.subscribe(CANCEL_SUBJECT, {
    callback: (err, msg) => {
      if (err) return;
      try {
        const envelope = decodeEnvelope(msg.data);
        const thread = envelope.threadId;
        if (envelope.type !== "cancel" || !thread) throw new Error('a cancellation needs type "cancel" and a threadId');
        for (const r of runtimes) r.cancelThread(thread, envelope.from, envelope.content);
      } catch (e) {
        bus.log.warn("cancel.rejected", { reason: (e as Error).message, bytes: msg.data.length });
      }
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
