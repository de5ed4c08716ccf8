import { connectClient } from "../../../src/agent/client.ts";
import { defineAgent } from "../../../src/agent/define.ts";
import { startHost } from "../../../src/agent/host.ts";
import type { BenchContext } from "../context.ts";
import { alternate, summarize, warmUp } from "../measure.ts";
import { PING } from "../names.ts";
import { row, type Row } from "../report.ts";
import { throughput, type Side } from "./direct.ts";

const ECHO = "BenchSealEcho";
const SINK = "BenchSealSink";
const SLICES = 4;

/**
 * Case 7: end-to-end sealing (NATTER_SEAL) against the same calls in clear, in one run: sequential request round
 * trips, and direct-message throughput (notify:false). The sealed side pays X25519 once per key pair and then
 * XSalsa20-Poly1305 per message on both ends (sender seals, agent opens and seals its answer, caller opens).
 */
export async function sealCase(ctx: BenchContext): Promise<Row[]> {
  ctx.progress("sealed vs clear");
  let handled: () => void = () => undefined;
  const host = await startHost({
    agents: [defineAgent({ name: ECHO, onRequest: (r) => r.content }), defineAgent({ name: SINK, onMessage: () => void handled() })],
    config: ctx.config,
    logger: ctx.logger,
  });
  const client = await connectClient({ name: "bench-seal-client", config: ctx.config, logger: ctx.logger });
  try {
    const runs = await alternate(ctx.sizes.requests, {
      clear: () => client.requestFromAgent(ECHO, PING, { timeoutMs: 5000, seal: false }),
      sealed: () => client.requestFromAgent(ECHO, PING, { timeoutMs: 5000, seal: true }),
    });
    const clear = summarize(runs.clear);
    const sealed = summarize(runs.sealed);
    const side = (seal: boolean): Side => ({
      send: () => client.sendDirectMessage(SINK, PING, { metadata: {}, notify: false, seal }),
      onHandled: (fn) => (handled = () => fn(0)),
    });
    const sides = { clear: side(false), sealed: side(true) };
    for (const s of Object.values(sides)) await warmUp(() => throughput(s, 1));
    const rate = { clear: { count: 0, ms: 0 }, sealed: { count: 0, ms: 0 } };
    for (let slice = 0; slice < SLICES; slice++) {
      for (const name of ["clear", "sealed"] as const) {
        const count = Math.ceil(ctx.sizes.directMessages / SLICES / 2);
        rate[name].count += count;
        rate[name].ms += await throughput(sides[name], count);
      }
    }
    const perSecond = (r: { count: number; ms: number }) => (r.count * 1000) / r.ms;
    const base = "the same in clear";
    return [
      row("7 sealed request p50", "ms", "lower", sealed.p50, clear.p50, base, { on: "ratio", kind: "max", limit: 1.3 }),
      row("7 sealed request p99", "ms", "lower", sealed.p99, clear.p99, base),
      row("7 sealed direct msgs throughput", "msg/s", "higher", perSecond(rate.sealed), perSecond(rate.clear), base, { on: "ratio", kind: "min", limit: 0.8 }),
    ];
  } finally {
    await client.close();
    await host.stop();
  }
}
