import { connect, nuid } from "@nats-io/transport-node";
import { connectClient } from "../../../src/agent/client.ts";
import { requestSubject } from "../../../src/protocol/subjects.ts";
import type { BenchContext } from "../context.ts";
import { alternate, summarize } from "../measure.ts";
import { NATTER_ECHO_AGENT, PING, RAW_ECHO_SUBJECT, RAW_JSON_ECHO_SUBJECT } from "../names.ts";
import { spawnPeer, type Peer } from "../peer.ts";
import { row, type Row } from "../report.ts";

/**
 * Case 1: sequential request round trip, each responder in its own process started with default settings.
 * First natter's requester against `nc.request` to a byte echo; then the host alone: a plain nats.js caller sends
 * the same envelope JSON to the natter agent and to a hand-written responder that parses it and answers JSON,
 * and the CPU time each responder process spent per request.
 */
export async function requestCase(ctx: BenchContext): Promise<Row[]> {
  ctx.progress("request round trip");
  const [rawPeer, jsonPeer, natPeer] = await Promise.all([spawnPeer("raw-echo", ctx.url), spawnPeer("raw-json-echo", ctx.url), spawnPeer("natter-echo", ctx.url)]);
  const nc = await connect({ servers: ctx.url, name: "bench-raw-requester" });
  const client = await connectClient({ name: "bench-requester", config: ctx.config, logger: ctx.logger });
  try {
    const data = new TextEncoder().encode(PING);
    const runs = await alternate(ctx.sizes.requests, {
      raw: () => nc.request(RAW_ECHO_SUBJECT, data, { timeout: 5000 }),
      natter: () => client.requestFromAgent(NATTER_ECHO_AGENT, PING, { timeoutMs: 5000 }),
    });
    const raw = summarize(runs.raw);
    const nat = summarize(runs.natter);
    const base = "nc.request";
    const host = await plainCaller(ctx, nc, jsonPeer, natPeer);
    return [
      row("1 request round trip p50", "ms", "lower", nat.p50, raw.p50, base, { on: "ratio", kind: "max", limit: 1.3 }),
      row("1 request round trip p99", "ms", "lower", nat.p99, raw.p99, base),
      row("1 request sequential rate", "req/s", "higher", nat.perSecond, raw.perSecond, base),
      ...host,
    ];
  } finally {
    await client.close();
    await nc.drain();
    await Promise.all([rawPeer, jsonPeer, natPeer].map((p) => p.stop()));
  }
}

/** The host measured alone: the same envelope from a plain nats.js caller, to natter and to a raw JSON responder. */
async function plainCaller(ctx: BenchContext, nc: Awaited<ReturnType<typeof connect>>, jsonPeer: Peer, natPeer: Peer): Promise<Row[]> {
  const encoder = new TextEncoder();
  // A fresh id each time, as any caller sends: natter answers a repeated id from memory.
  const envelope = () =>
    encoder.encode(JSON.stringify({ id: nuid.next(), type: "request", from: "bench-plain", to: NATTER_ECHO_AGENT, content: PING, timestamp: new Date().toISOString() }));
  const subject = requestSubject(NATTER_ECHO_AGENT);
  const before = { json: await jsonPeer.cpuMicros(), natter: await natPeer.cpuMicros() };
  const runs = await alternate(ctx.sizes.requests, {
    raw: () => nc.request(RAW_JSON_ECHO_SUBJECT, envelope(), { timeout: 5000 }),
    natter: () => nc.request(subject, envelope(), { timeout: 5000 }),
  });
  // Both processes ran through warm-up and measured slices alike, and were idle (but for timers) otherwise.
  const count = (side: keyof typeof runs) => runs[side].latenciesMs.length + (runs[side].warmUps ?? 0);
  const cpu = {
    raw: ((await jsonPeer.cpuMicros()) - before.json) / count("raw"),
    natter: ((await natPeer.cpuMicros()) - before.natter) / count("natter"),
  };
  const raw = summarize(runs.raw);
  const nat = summarize(runs.natter);
  const base = "nats.js JSON responder";
  return [
    row("1 host alone, plain caller p50", "ms", "lower", nat.p50, raw.p50, base, { on: "ratio", kind: "max", limit: 1.1 }),
    row("1 host alone, plain caller p99", "ms", "lower", nat.p99, raw.p99, base, { on: "ratio", kind: "max", limit: 1.3 }),
    row("1 host CPU per request", "µs", "lower", cpu.natter, cpu.raw, base),
    // Both pay the same socket and parsing work; what natter adds on top is its own. The budget of 30 µs was
    // measured without the network, where the raw responder spent 12: natter's allowance over raw is 18 µs.
    row("1 host CPU per request, natter's extra", "µs", "lower", Math.max(0, cpu.natter - cpu.raw), cpu.raw, base, { on: "value", kind: "max", limit: 18 }),
  ];
}
