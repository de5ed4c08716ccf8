import { connect } from "@nats-io/transport-node";
import { Kvm } from "@nats-io/kv";
import { connectClient } from "../../../src/agent/client.ts";
import type { BenchContext } from "../context.ts";
import { alternate, summarize } from "../measure.ts";
import { PING, SCALE_RAW, scaleAgentName, scalePrefix } from "../names.ts";
import { spawnPeer } from "../peer.ts";
import { row, type Row } from "../report.ts";

const MB = 1024 * 1024;

/**
 * Case 4: N agents in one host process (a peer, so its memory is its own): time until all are in the registry,
 * RSS and heap once started, RSS per agent over the connected-but-empty process, and request round trip
 * to a random agent while all of them sit idle with their heartbeats running. Raw: the same primitives by hand.
 */
export async function scaleCase(ctx: BenchContext, n: number): Promise<Row[]> {
  ctx.progress(`scale: ${n} agents`);
  const rawPeer = await spawnPeer("scale-raw", ctx.url, { agents: n });
  const nc = await connect({ servers: ctx.url, name: "bench-scale-requester" });
  const client = await connectClient({ name: "bench-scale-requester", config: ctx.config, logger: ctx.logger });
  try {
    const rawKeys = await countKeys(new Kvm(nc), SCALE_RAW.bucket, `raw-${scalePrefix(n)}`);
    const natPeer = await spawnPeer("scale-natter", ctx.url, { agents: n });
    try {
      const natKeys = (await client.listAgents()).filter((a) => a.name.startsWith(scalePrefix(n)) && a.status !== "offline").length;
      if (natKeys !== n || rawKeys !== n) throw new Error(`scale ${n}: registry holds ${natKeys} natter and ${rawKeys} raw agents after start, expected ${n} each`);
      const pick = () => Math.floor(Math.random() * n);
      const data = new TextEncoder().encode(PING);
      const runs = await alternate(ctx.sizes.requests, {
        raw: () => nc.request(SCALE_RAW.request(`raw-${scaleAgentName(n, pick())}`), data, { timeout: 5000 }),
        natter: () => client.requestFromAgent(scaleAgentName(n, pick()), PING, { timeoutMs: 5000 }),
      });
      const raw = rawPeer.ready;
      const nat = natPeer.ready;
      const base = "raw consumers+subs+KV";
      const perAgent = (r: typeof raw) => (Number(r.rss) - Number(r.baselineRss)) / n / 1024;
      const heapPerAgent = (r: typeof raw) => (Number(r.heapUsed) - Number(r.baselineHeap)) / n / 1024;
      const big = n >= 1000;
      const rr = summarize(runs.raw);
      const nr = summarize(runs.natter);
      return [
        row(`4 scale ${n}: all registered`, "ms", "lower", Number(nat.startMs), Number(raw.startMs), base, big ? { on: "value", kind: "max", limit: 10_000 } : undefined),
        row(`4 scale ${n}: RSS`, "MB", "lower", Number(nat.rss) / MB, Number(raw.rss) / MB, base, big ? { on: "value", kind: "max", limit: 256 } : undefined),
        row(`4 scale ${n}: heap used`, "MB", "lower", Number(nat.heapUsed) / MB, Number(raw.heapUsed) / MB, base),
        row(`4 scale ${n}: RSS per agent`, "KB", "lower", perAgent(nat), perAgent(raw), base),
        row(`4 scale ${n}: heap per agent`, "KB", "lower", heapPerAgent(nat), heapPerAgent(raw), base, big ? { on: "value", kind: "max", limit: 12 } : undefined),
        row(`4 scale ${n}: request random agent p50`, "ms", "lower", nr.p50, rr.p50, base),
        row(`4 scale ${n}: request random agent p99`, "ms", "lower", nr.p99, rr.p99, base),
      ];
    } finally {
      await natPeer.stop();
    }
  } finally {
    await client.close();
    await nc.drain();
    await rawPeer.stop();
  }
}

/** Keys of `bucket` starting with `prefix`: earlier scale runs leave their entries until the TTL. */
async function countKeys(kvm: Kvm, bucket: string, prefix: string): Promise<number> {
  let n = 0;
  for await (const key of await (await kvm.open(bucket)).keys()) if (key.startsWith(prefix)) n++;
  return n;
}
