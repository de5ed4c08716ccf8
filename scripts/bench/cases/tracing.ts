import { connect } from "@nats-io/transport-node";
import { connectClient } from "../../../src/agent/client.ts";
import type { BenchContext } from "../context.ts";
import { alternate, signal, summarize } from "../measure.ts";
import { PING } from "../names.ts";
import { spawnPeer, type Peer } from "../peer.ts";
import { row, type Row } from "../report.ts";
import { benchTracing, TRACING_MODES, type TracingMode } from "../tracing.ts";

/** Stored publishes in flight at once during the throughput run (as in case 2). */
const WINDOW = 64;
const SLICES = 4;
/** The budget: tracing on with an SDK that exports nothing costs at most 15%. */
const BUDGET = 1.15;
const BASE = "tracing off";
/** How each configuration is named in the rows. */
const LABEL: Record<Exclude<TracingMode, "off">, string> = {
  sdk: "tracing on (SDK, no context manager)",
  "sdk+cm": "tracing on + ALS context manager",
  cm: "ALS context manager alone, tracing off",
};

const agentName = (role: string, mode: TracingMode) => `BenchTrace${role}${mode === "off" ? "Off" : mode === "sdk" ? "Sdk" : mode === "cm" ? "Cm" : "SdkCm"}`;

/**
 * Case 8: what OpenTelemetry tracing costs, in one run: request round trips and direct-message throughput with no
 * SDK registered (natter's default), against an SDK registered (BatchSpanProcessor, an exporter that drops spans)
 * without a context manager, the same with the async-local-storage context manager NodeSDK registers, and that
 * context manager alone (natter's tracing off) to tell its cost apart. Sender and host register the same; each host
 * runs in its own process.
 */
export async function tracingCase(ctx: BenchContext): Promise<Row[]> {
  ctx.progress("tracing off vs on (with and without a context manager)");
  // One host process per configuration, running its echo and its sink: the two are measured one after the other.
  const hosts = {} as Record<TracingMode, Peer>;
  await Promise.all(
    TRACING_MODES.map((mode) =>
      spawnPeer("natter-sink", ctx.url, { name: agentName("Sink", mode), echo: agentName("Echo", mode), tracing: mode }).then((p) => (hosts[mode] = p)),
    ),
  );
  const echo = hosts;
  const sink = hosts;
  const tracing = benchTracing();
  const nc = await connect({ servers: ctx.url, name: "bench-trace-counter" });
  const client = await connectClient({ name: "bench-tracer", config: ctx.config, logger: ctx.logger });
  const perMode = <T>(f: (mode: TracingMode) => T) => Object.fromEntries(TRACING_MODES.map((m) => [m, f(m)])) as Record<TracingMode, T>;
  // CPU time is what tracing adds; on a busy machine it is a steadier measure than latency, which waits for the scheduler.
  const senderMicros = perMode(() => 0);
  const timed = async (mode: TracingMode, op: () => Promise<unknown>) => {
    const before = process.cpuUsage();
    await op();
    const used = process.cpuUsage(before);
    senderMicros[mode] += used.user + used.system;
  };
  const cpuOf = async (peers: Record<TracingMode, Peer>) => Object.fromEntries(await Promise.all(TRACING_MODES.map(async (m) => [m, await peers[m].cpuMicros()] as const))) as Record<TracingMode, number>;
  try {
    const hostBefore = await cpuOf(echo);
    // The sender registers what the host it asks does.
    const runs = await alternate(
      ctx.sizes.requests,
      perMode((mode) => () => (tracing.set(mode), timed(mode, () => client.requestFromAgent(agentName("Echo", mode), PING, { timeoutMs: 5000 })))),
    );
    const requestCount = (mode: TracingMode) => runs[mode].latenciesMs.length + (runs[mode].warmUps ?? 0);
    const hostAfter = await cpuOf(echo);
    const hostPerRequest = perMode((m) => (hostAfter[m] - hostBefore[m]) / requestCount(m));
    const senderPerRequest = perMode((m) => senderMicros[m] / requestCount(m));
    const sinkBefore = await cpuOf(sink);
    const rate = perMode(() => ({ count: 0, ms: 0 }));
    for (const mode of TRACING_MODES) await throughput(mode, 500);
    for (let slice = 0; slice < SLICES; slice++) {
      for (const mode of TRACING_MODES) {
        const count = Math.ceil(ctx.sizes.directMessages / SLICES);
        rate[mode].count += count;
        rate[mode].ms += await throughput(mode, count);
      }
    }
    const sinkAfter = await cpuOf(sink);
    const sinkPerMessage = perMode((m) => (sinkAfter[m] - sinkBefore[m]) / (rate[m].count + 500));
    tracing.set("off");
    if (tracing.exported === 0) throw new Error("tracing case: the SDK exported no span; tracing was never on");
    const p = perMode((m) => summarize(runs[m]));
    const perSecond = perMode((m) => (rate[m].count * 1000) / rate[m].ms);
    const minRate = Math.round((1 / BUDGET) * 1000) / 1000;
    return [
      row(`8 request p50, ${LABEL.sdk}`, "ms", "lower", p.sdk.p50, p.off.p50, BASE, { on: "ratio", kind: "max", limit: BUDGET }),
      row(`8 request p99, ${LABEL.sdk}`, "ms", "lower", p.sdk.p99, p.off.p99, BASE),
      row(`8 direct msgs throughput, ${LABEL.sdk}`, "msg/s", "higher", perSecond.sdk, perSecond.off, BASE, { on: "ratio", kind: "min", limit: minRate }),
      row(`8 host CPU per request, ${LABEL.sdk}`, "µs", "lower", hostPerRequest.sdk, hostPerRequest.off, BASE),
      row(`8 sender CPU per request, ${LABEL.sdk}`, "µs", "lower", senderPerRequest.sdk, senderPerRequest.off, BASE),
      row(`8 host CPU per direct msg, ${LABEL.sdk}`, "µs", "lower", sinkPerMessage.sdk, sinkPerMessage.off, BASE),
      row(`8 request p50, ${LABEL["sdk+cm"]}`, "ms", "lower", p["sdk+cm"].p50, p.off.p50, BASE),
      row(`8 direct msgs throughput, ${LABEL["sdk+cm"]}`, "msg/s", "higher", perSecond["sdk+cm"], perSecond.off, BASE),
      row(`8 host CPU per request, ${LABEL["sdk+cm"]}`, "µs", "lower", hostPerRequest["sdk+cm"], hostPerRequest.off, BASE),
      row(`8 host CPU per direct msg, ${LABEL["sdk+cm"]}`, "µs", "lower", sinkPerMessage["sdk+cm"], sinkPerMessage.off, BASE),
      row(`8 request p50, ${LABEL.cm}`, "ms", "lower", p.cm.p50, p.off.p50, BASE),
      row(`8 direct msgs throughput, ${LABEL.cm}`, "msg/s", "higher", perSecond.cm, perSecond.off, BASE),
      row(`8 host CPU per request, ${LABEL.cm}`, "µs", "lower", hostPerRequest.cm, hostPerRequest.off, BASE),
      row(`8 host CPU per direct msg, ${LABEL.cm}`, "µs", "lower", sinkPerMessage.cm, sinkPerMessage.off, BASE),
    ];
  } finally {
    tracing.set("off");
    await client.close();
    await nc.drain();
    await Promise.all(Object.values(hosts).map((peer) => peer.stop()));
  }

  /** Milliseconds until the sink handled `count` messages sent WINDOW at a time, without completion notices. */
  async function throughput(mode: TracingMode, count: number): Promise<number> {
    tracing.set(mode);
    const name = agentName("Sink", mode);
    let seen = 0;
    const all = signal();
    const sub = nc.subscribe(`bench.handled.${name}`, { callback: () => void (++seen === count && all.resolve()) });
    await nc.flush();
    const start = performance.now();
    let next = 0;
    const worker = async () => {
      while (next < count) {
        next++;
        await client.sendDirectMessage(name, "ping", {}, { notify: false });
      }
    };
    await Promise.all(Array.from({ length: WINDOW }, worker));
    await all.promise;
    const ms = performance.now() - start;
    sub.unsubscribe();
    return ms;
  }
}
