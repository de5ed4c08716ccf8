import { connect } from "@nats-io/transport-node";
import { connectClient } from "../../../src/agent/client.ts";
import type { BenchContext } from "../context.ts";
import { alternate, summarize } from "../measure.ts";
import { NATTER_ECHO_AGENT, PING, RAW_ECHO_SUBJECT } from "../names.ts";
import { spawnPeer } from "../peer.ts";
import { row, type Row } from "../report.ts";

/** Case 1: sequential request round trip, natter requestFromAgent vs nc.request, each responder in its own process. */
export async function requestCase(ctx: BenchContext): Promise<Row[]> {
  ctx.progress("request round trip");
  const peers = await Promise.all([spawnPeer("raw-echo", ctx.url), spawnPeer("natter-echo", ctx.url)]);
  const nc = await connect({ servers: ctx.url, name: "bench-raw-requester" });
  const client = await connectClient({ name: "bench-requester", config: ctx.config });
  try {
    const data = new TextEncoder().encode(PING);
    const runs = await alternate(ctx.sizes.requests, {
      raw: () => nc.request(RAW_ECHO_SUBJECT, data, { timeout: 5000 }),
      natter: () => client.requestFromAgent(NATTER_ECHO_AGENT, PING, { timeoutMs: 5000 }),
    });
    const raw = summarize(runs.raw);
    const nat = summarize(runs.natter);
    const base = "nc.request";
    return [
      row("1 request round trip p50", "ms", "lower", nat.p50, raw.p50, base, { on: "ratio", kind: "max", limit: 1.3 }),
      row("1 request round trip p99", "ms", "lower", nat.p99, raw.p99, base),
      row("1 request sequential rate", "req/s", "higher", nat.perSecond, raw.perSecond, base),
    ];
  } finally {
    await client.close();
    await nc.drain();
    await Promise.all(peers.map((p) => p.stop()));
  }
}
