// Entry of a bench peer process (forked by peer.ts): runs one role, reports ready over IPC, stops on request.
import { connect } from "@nats-io/transport-node";
import { defineAgent, loadConfig, startHost } from "../../src/index.ts";
import { startA2aBridge } from "../../src/bridges/index.ts";
import { startA2aServer } from "./a2a-server.ts";
import type { PeerReady, PeerRole } from "./peer.ts";
import { startScalePeer } from "./scale-peer.ts";
import { benchTracing, TRACING_MODES, type TracingMode } from "./tracing.ts";
import { RAW_ECHO_SUBJECT, RAW_JSON_ECHO_SUBJECT, NATTER_ECHO_AGENT } from "./names.ts";

type Stop = () => Promise<unknown>;

const ROLES: Record<PeerRole, (url: string, args: Record<string, string | number>) => Promise<{ data: PeerReady; stop: Stop }>> = {
  "raw-echo": async (url) => {
    const nc = await connect({ servers: url, name: "bench-raw-echo" });
    nc.subscribe(RAW_ECHO_SUBJECT, { callback: (err, msg) => void (err ? undefined : msg.respond(msg.data)) });
    await nc.flush();
    return { data: {}, stop: () => nc.drain() };
  },
  // What a hand-written JSON responder does: parse the request, answer with JSON naming it.
  "raw-json-echo": async (url) => {
    const nc = await connect({ servers: url, name: "bench-raw-json-echo" });
    const encoder = new TextEncoder();
    nc.subscribe(RAW_JSON_ECHO_SUBJECT, {
      callback: (err, msg) => {
        if (err) return;
        const request = msg.json<{ id: string; from: string; content: string }>();
        msg.respond(encoder.encode(JSON.stringify({ id: request.id, type: "response", to: request.from, content: request.content, inReplyTo: request.id, timestamp: new Date().toISOString() })));
      },
    });
    await nc.flush();
    return { data: {}, stop: () => nc.drain() };
  },
  // With `tracing` (a mode of tracing.ts), an OpenTelemetry SDK and/or context manager is registered first.
  "natter-echo": async (_url, args) => {
    benchTracing().set(tracingMode(args.tracing));
    const echo = defineAgent({ name: String(args.name ?? NATTER_ECHO_AGENT), onRequest: (msg) => msg.content });
    const host = await startHost({ agents: [echo], config: loadConfig() });
    return { data: {}, stop: () => host.stop() };
  },
  // An agent whose handler tells `bench.handled.{name}` of each message (core NATS, nothing stored), traced or not;
  // with `echo`, the host also runs an echo agent of that name (one process per configuration in case 8).
  "natter-sink": async (url, args) => {
    benchTracing().set(tracingMode(args.tracing));
    const name = String(args.name);
    const nc = await connect({ servers: url, name: "bench-sink-reporter" });
    const sink = defineAgent({ name, onMessage: () => nc.publish(`bench.handled.${name}`) });
    const echo = args.echo === undefined ? [] : [defineAgent({ name: String(args.echo), onRequest: (msg) => msg.content })];
    const host = await startHost({ agents: [sink, ...echo], config: loadConfig() });
    return { data: {}, stop: async () => (await host.stop(), await nc.drain()) };
  },
  "a2a-server": async () => startA2aServer(),
  // `natter a2a`: A2A clients reach the natter-echo peer's agent through it.
  "a2a-bridge": async () => {
    const bridge = await startA2aBridge({ config: loadConfig(), port: 0 });
    return { data: { url: bridge.url }, stop: () => bridge.close() };
  },
  "scale-raw": async (url, args) => startScalePeer("raw", url, Number(args.agents)),
  "scale-natter": async (url, args) => startScalePeer("natter", url, Number(args.agents)),
};

function tracingMode(value: string | number | undefined): TracingMode {
  if (value === undefined) return "off";
  const mode = TRACING_MODES.find((m) => m === value);
  if (!mode) throw new Error(`bench peer: tracing must be one of ${TRACING_MODES.join(", ")}, got ${JSON.stringify(value)}`);
  return mode;
}

async function main(): Promise<void> {
  const [role, rawArgs] = process.argv.slice(2);
  const start = ROLES[role as PeerRole];
  if (!start || !process.send) throw new Error(`usage: forked by scripts/bench/peer.ts with a role (${Object.keys(ROLES).join(", ")})`);
  const url = process.env.NATS_URL ?? "";
  const { data, stop } = await start(url, JSON.parse(rawArgs ?? "{}") as Record<string, string | number>);
  process.on("message", (m) => {
    const type = (m as { type?: string }).type;
    if (type === "cpu") {
      const { user, system } = process.cpuUsage();
      process.send?.({ type, value: user + system });
    }
    if (type === "stop") void stop().finally(() => process.exit(0));
  });
  process.send({ type: "ready", data });
}

main().catch((err: unknown) => {
  process.send?.({ type: "error", error: (err as Error).stack ?? String(err) });
  process.exit(1);
});
