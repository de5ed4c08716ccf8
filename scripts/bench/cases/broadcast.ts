import { connect } from "@nats-io/transport-node";
import { StorageType, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connectClient } from "../../../src/agent/client.ts";
import { defineAgent } from "../../../src/agent/define.ts";
import { startHost } from "../../../src/agent/host.ts";
import type { BenchContext } from "../context.ts";
import { alternate, signal, summarize } from "../measure.ts";
import { row, type Row } from "../report.ts";

const RAW = { stream: "BENCH_ALL", subject: "bench.all" } as const;
/** Fan-out sizes measured. */
const SIZES = [10, 100] as const;

/**
 * Case 3: one broadcast, time until every one of N agents has run its handler; N agents in one host.
 * Raw: a stored publish on a stream subject heard by N plain subscriptions on one connection.
 */
export async function broadcastCase(ctx: BenchContext): Promise<Row[]> {
  const rows: Row[] = [];
  const pub = await connect({ servers: ctx.url, name: "bench-raw-broadcaster" });
  const sub = await connect({ servers: ctx.url, name: "bench-raw-listeners" });
  await (await jetstreamManager(pub)).streams.add({ name: RAW.stream, subjects: [RAW.subject], storage: StorageType.File });
  const js = jetstream(pub);
  const client = await connectClient({ name: "bench-broadcaster", config: ctx.config, logger: ctx.logger });
  try {
    for (const n of SIZES) {
      ctx.progress(`broadcast to ${n}`);
      let heard = 0;
      let all = signal();
      const hear = () => {
        if (++heard === n) all.resolve();
      };
      const round = async (send: () => Promise<unknown>) => {
        heard = 0;
        all = signal();
        await Promise.all([send(), all.promise]);
      };
      const subs = Array.from({ length: n }, () => sub.subscribe(RAW.subject, { callback: hear }));
      await sub.flush();
      const agents = Array.from({ length: n }, (_, i) => defineAgent({ name: `bc${n}-${i}`, onBroadcast: hear }));
      const host = await startHost({ agents, config: ctx.config, logger: ctx.logger });
      const payload = new TextEncoder().encode("hello");
      const runs = await alternate(ctx.sizes.broadcastRounds, {
        raw: () => round(() => js.publish(RAW.subject, payload)),
        natter: () => round(() => client.broadcastMessage("hello")),
      });
      await host.stop();
      for (const s of subs) s.unsubscribe();
      const raw = summarize(runs.raw);
      const nat = summarize(runs.natter);
      const base = "js.publish+N subs";
      rows.push(row(`3 broadcast to ${n} p50`, "ms", "lower", nat.p50, raw.p50, base), row(`3 broadcast to ${n} p99`, "ms", "lower", nat.p99, raw.p99, base));
    }
    return rows;
  } finally {
    await client.close();
    await sub.drain();
    await pub.drain();
  }
}
