import { connect } from "@nats-io/transport-node";
import { connectClient } from "../../../src/agent/client.ts";
import type { BenchContext } from "../context.ts";
import { alternate, signal, summarize } from "../measure.ts";
import { PING } from "../names.ts";
import { spawnPeer } from "../peer.ts";
import { row, type Row } from "../report.ts";
import { benchTracing } from "../tracing.ts";

const ECHO = { off: "BenchTraceEchoOff", on: "BenchTraceEchoOn" } as const;
const SINK = { off: "BenchTraceSinkOff", on: "BenchTraceSinkOn" } as const;
/** Stored publishes in flight at once during the throughput run (as in case 2). */
const WINDOW = 64;
const SLICES = 4;
/** The budget: tracing on with an SDK that exports nothing costs at most 15%. */
const BUDGET = 1.15;

/**
 * Case 8: what OpenTelemetry tracing costs, in one run: request round trips and direct-message throughput with no
 * SDK registered (natter's default), against the same with an SDK registered (BatchSpanProcessor, async-local-storage
 * context, an exporter that drops spans) in the sender and in the host, each host in its own process.
 */
export async function tracingCase(ctx: BenchContext): Promise<Row[]> {
  ctx.progress("tracing off vs on");
  const peers = await Promise.all([
    spawnPeer("natter-echo", ctx.url, { name: ECHO.off }),
    spawnPeer("natter-echo", ctx.url, { name: ECHO.on, traced: 1 }),
    spawnPeer("natter-sink", ctx.url, { name: SINK.off }),
    spawnPeer("natter-sink", ctx.url, { name: SINK.on, traced: 1 }),
  ]);
  const tracing = benchTracing();
  const nc = await connect({ servers: ctx.url, name: "bench-trace-counter" });
  const client = await connectClient({ name: "bench-tracer", config: ctx.config, logger: ctx.logger });
  const [echoOff, echoOn, sinkOff, sinkOn] = peers;
  // CPU time is what tracing adds; on a busy machine it is a steadier measure than latency, which waits for the scheduler.
  const senderMicros = { off: 0, on: 0 };
  const timed = async (side: "off" | "on", op: () => Promise<unknown>) => {
    const before = process.cpuUsage();
    await op();
    const used = process.cpuUsage(before);
    senderMicros[side] += used.user + used.system;
  };
  try {
    const hostBefore = { off: await echoOff!.cpuMicros(), on: await echoOn!.cpuMicros() };
    // The sender's SDK follows the side measured: on for the traced host, off (unregistered) for the other.
    const runs = await alternate(ctx.sizes.requests, {
      off: () => (tracing.off(), timed("off", () => client.requestFromAgent(ECHO.off, PING, { timeoutMs: 5000 }))),
      on: () => (tracing.on(), timed("on", () => client.requestFromAgent(ECHO.on, PING, { timeoutMs: 5000 }))),
    });
    const requestCount = (side: "off" | "on") => runs[side].latenciesMs.length + (runs[side].warmUps ?? 0);
    const hostPerRequest = {
      off: ((await echoOff!.cpuMicros()) - hostBefore.off) / requestCount("off"),
      on: ((await echoOn!.cpuMicros()) - hostBefore.on) / requestCount("on"),
    };
    const senderPerRequest = { off: senderMicros.off / requestCount("off"), on: senderMicros.on / requestCount("on") };
    const sinkBefore = { off: await sinkOff!.cpuMicros(), on: await sinkOn!.cpuMicros() };
    const rate = { off: { count: 0, ms: 0 }, on: { count: 0, ms: 0 } };
    for (const side of ["off", "on"] as const) await throughput(side, 500);
    for (let slice = 0; slice < SLICES; slice++) {
      for (const side of ["off", "on"] as const) {
        const count = Math.ceil(ctx.sizes.directMessages / SLICES);
        rate[side].count += count;
        rate[side].ms += await throughput(side, count);
      }
    }
    const sinkPerMessage = {
      off: ((await sinkOff!.cpuMicros()) - sinkBefore.off) / (rate.off.count + 500),
      on: ((await sinkOn!.cpuMicros()) - sinkBefore.on) / (rate.on.count + 500),
    };
    tracing.off();
    if (tracing.exported === 0) throw new Error("tracing case: the SDK exported no span; tracing was never on");
    const off = summarize(runs.off);
    const on = summarize(runs.on);
    const perSecond = (r: { count: number; ms: number }) => (r.count * 1000) / r.ms;
    const base = "tracing off";
    return [
      row("8 request p50, tracing on (spans dropped)", "ms", "lower", on.p50, off.p50, base, { on: "ratio", kind: "max", limit: BUDGET }),
      row("8 request p99, tracing on (spans dropped)", "ms", "lower", on.p99, off.p99, base),
      row("8 direct msgs throughput, tracing on", "msg/s", "higher", perSecond(rate.on), perSecond(rate.off), base, { on: "ratio", kind: "min", limit: Math.round((1 / BUDGET) * 1000) / 1000 }),
      row("8 host CPU per request, tracing on", "µs", "lower", hostPerRequest.on, hostPerRequest.off, base),
      row("8 sender CPU per request, tracing on", "µs", "lower", senderPerRequest.on, senderPerRequest.off, base),
      row("8 host CPU per direct msg, tracing on", "µs", "lower", sinkPerMessage.on, sinkPerMessage.off, base),
    ];
  } finally {
    tracing.off();
    await client.close();
    await nc.drain();
    await Promise.all(peers.map((p) => p.stop()));
  }

  /** Milliseconds until the sink handled `count` messages sent WINDOW at a time, without completion notices. */
  async function throughput(side: "off" | "on", count: number): Promise<number> {
    if (side === "on") tracing.on();
    else tracing.off();
    let seen = 0;
    const all = signal();
    const sub = nc.subscribe(`bench.handled.${SINK[side]}`, { callback: () => void (++seen === count && all.resolve()) });
    await nc.flush();
    const start = performance.now();
    let next = 0;
    const worker = async () => {
      while (next < count) {
        next++;
        await client.sendDirectMessage(SINK[side], "ping", {}, { notify: false });
      }
    };
    await Promise.all(Array.from({ length: WINDOW }, worker));
    await all.promise;
    const ms = performance.now() - start;
    sub.unsubscribe();
    return ms;
  }
}
