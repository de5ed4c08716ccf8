import { createAdaptorServer } from "@hono/node-server";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { connectClient, type Client } from "../agent/client.ts";
import { startHost, stopWithin, type Host, type StopOutcome } from "../agent/host.ts";
import type { Config } from "../config/config.ts";
import { createLogger, type Logger } from "../logger.ts";
import { RegistryView } from "../registry/view.ts";
import { doneWithin } from "../transport/bounded.ts";
import { openBus } from "../transport/bus.ts";
import { uiAgent } from "./agents.ts";
import { loadAssets } from "./assets.ts";
import { Backlogs } from "./backlog.ts";
import { EdgeWindow } from "./graph.ts";
import { HumanDesk } from "./human.ts";
import { createApp } from "./routes.ts";
import { Hub } from "./sse.ts";
import { TrafficTap } from "./traffic.ts";
import { DEFAULT_HUMAN, DEFAULT_UI_HOST, DEFAULT_UI_PORT, KEEP_OFFLINE_MS } from "./defaults.ts";


const LOOPBACK = ["127.0.0.1", "localhost", "::1"];

/** Options of {@link startConsole}. */
export interface ConsoleOptions {
  config: Config;
  /** TCP port; default 8080, 0 picks a free one. */
  port?: number;
  /** Address to bind; default 127.0.0.1. */
  host?: string;
  /** Agent name the console joins as (default `human`), or false to only watch. */
  human?: string | false;
  logger?: Logger;
  /** While no server answers, keep trying to connect for this long (ms; Infinity: until one does). Default 0: fail at once. */
  connectWaitMs?: number;
  /** Time between two event batches to the page, in ms; default 150. */
  flushMs?: number;
}

/** A running console. */
export interface RunningConsole {
  /** Where to open it, e.g. http://127.0.0.1:8080/ */
  readonly url: string;
  readonly port: number;
  /** Stops serving, hands waiting mailbox messages back to the human's mailbox, and disconnects, within NATTER_SHUTDOWN_MS. */
  close(): Promise<StopOutcome>;
}

/** Starts the web console: connects to NATS, joins as the human agent, and serves the page and its API. */
export async function startConsole(options: ConsoleOptions): Promise<RunningConsole> {
  const { config } = options;
  const log = options.logger ?? createLogger({ level: config.logLevel, format: config.logFormat });
  const host = options.host ?? DEFAULT_UI_HOST;
  const assets = loadAssets();
  const bus = await openBus(config, { name: "natter-ui", logger: log, waitMs: options.connectWaitMs });
  // Each cleanup says false when it could not reach the server.
  const cleanups: (() => Promise<boolean | void> | boolean | void)[] = [() => bus.close()];
  const connections = [bus.nc];
  const closeAll = async (): Promise<boolean> => {
    let reached = true;
    for (const c of cleanups.splice(0).reverse()) {
      const done = await Promise.resolve(c()).catch((err: unknown) => log.warn("ui.close_failed", { error: err }));
      if (done === false) reached = false;
    }
    return reached;
  };
  let closing: Promise<StopOutcome> | undefined;
  const close = () => (closing ??= stopWithin(config.shutdownMs, closeAll, () => Promise.all(connections.map((nc) => nc.close().catch(() => undefined)))));
  try {
    const edges = new EdgeWindow();
    const registry = await RegistryView.open(bus, { ttlMs: config.registryTtlMs, keepMs: KEEP_OFFLINE_MS, log });
    cleanups.push(() => registry.stop());
    const backlogs = new Backlogs(bus, (names) => hub.agentsChanged(names.filter((n) => registry.has(n)), []));
    const backlog = (n: string) => backlogs.of(n);
    const hub = new Hub({ source: { agent: (n) => uiAgent(registry, n, backlog), takeEdges: () => edges.takeChanges() }, log, ...(options.flushMs ? { flushMs: options.flushMs } : {}) });
    registry.onChange((name) => (registry.has(name) ? hub.agentsChanged([name], []) : hub.agentsChanged([], [name])));
    const traffic = new TrafficTap({
      onMessage: ({ summary }) => {
        hub.message(summary);
        if (summary.to && summary.from !== "?") edges.add(summary.from, summary.to, summary.type === "handoff");
      },
    });
    await traffic.start(bus);
    // Removing its consumer asks the server, which may be away: try, but do not wait past a stop step.
    cleanups.push(() => doneWithin(traffic.stop(), bus.stopStepMs()));

    let desk: HumanDesk | undefined;
    let sender: Host["agents"][number]["context"] | Client;
    if (options.human === false) {
      const client = await connectClient({ name: "console", bus });
      cleanups.push(() => client.close());
      sender = client;
    } else {
      desk = new HumanDesk({ name: options.human ?? DEFAULT_HUMAN, onQuestion: (q) => hub.question(q), onSettled: (id) => hub.answered(id), onNotice: (n) => hub.notice(n) });
      // Its own connection and settings: waiting messages are handed back at once on stop, and a message
      // may wait through many console restarts before it counts as undeliverable.
      const humanHost = await startHost({ agents: [desk.definition], config: { ...config, shutdownTimeoutMs: 0, maxDeliver: 1000 }, logger: log });
      connections.push(humanHost.bus.nc);
      cleanups.push(async () => (await humanHost.stop()) === "clean");
      sender = humanHost.agents[0]!.context;
    }

    hub.start();
    cleanups.push(() => hub.stop());
    backlogs.start();
    cleanups.push(() => backlogs.stop());
    const allowedHosts = new Set(LOOPBACK.includes(host) ? [...LOOPBACK, host] : []);
    const app = createApp({ bus, registry, backlog, traffic, edges, hub, desk, sender, assets, allowedHosts, log });
    const server = createAdaptorServer({ fetch: app.fetch }) as Server;
    await listen(server, options.port ?? DEFAULT_UI_PORT, host);
    cleanups.push(() => stopServer(server));
    const port = (server.address() as AddressInfo).port;
    const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}/`;
    log.info("ui.ready", { url, human: desk?.name ?? false, servers: config.servers.join(",") });
    return { url, port, close };
  } catch (err) {
    await close();
    throw err;
  }
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

function stopServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
