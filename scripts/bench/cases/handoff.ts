import { connect } from "@nats-io/transport-node";
import { AckPolicy, StorageType, jetstream, jetstreamManager, type JetStreamClient } from "@nats-io/jetstream";
import { defineAgent } from "../../../src/agent/define.ts";
import { startHost } from "../../../src/agent/host.ts";
import type { BenchContext } from "../context.ts";
import { sequential, signal, summarize, warmUp } from "../measure.ts";
import { row, type Row } from "../report.ts";

const RAW = { stream: "BENCH_HANDOFF", to: "bench.handoff.to", back: "bench.handoff.back" } as const;
const FROM = "HandoffFrom";
const TO = "HandoffTo";

/**
 * Case 5: handoff end to end. One agent hands a task to another (urgent mailbox delivery plus a tracking record);
 * the receiver's handler finishes and its completion notice comes back to the sender's mailbox.
 * Measured: call → receiver's handler start, and call → notice handled by the sender.
 * Raw: publish to a durable consumer, whose handler publishes a reply to a second durable consumer.
 */
export async function handoffCase(ctx: BenchContext): Promise<Row[]> {
  ctx.progress("handoff");
  let started = signal<number>();
  let noticed = signal<number>();
  const host = await startHost({
    agents: [
      defineAgent({ name: FROM, onResponse: () => noticed.resolve(performance.now()) }),
      defineAgent({ name: TO, onMessage: () => (started.resolve(performance.now()), "done") }),
    ],
    config: ctx.config,
    logger: ctx.logger,
  });
  const from = host.agents.find((a) => a.name === FROM)!.context;
  const raw = await rawPair(ctx.url, () => started.resolve(performance.now()), () => noticed.resolve(performance.now()));
  const measure = async (send: () => Promise<unknown>) => {
    let delivered: number[] = [];
    const once = async () => {
      started = signal<number>();
      noticed = signal<number>();
      const t = performance.now();
      await send();
      delivered.push((await started.promise) - t);
      await noticed.promise;
    };
    // Unwarmed, the first handoff (cold code, a consumer's first pull) is the p99 of a short run.
    await warmUp(once);
    delivered = [];
    const run = await sequential(ctx.sizes.handoffs, once);
    return { delivered: summarize({ latenciesMs: delivered, elapsedMs: run.elapsedMs }), roundTrip: summarize(run) };
  };
  try {
    const r = await measure(() => raw.send());
    const n = await measure(() => from.handoffToAgent(TO, "take this"));
    const base = "2 × (publish+pull+ack)";
    return [
      row("5 handoff call→handler p50", "ms", "lower", n.delivered.p50, r.delivered.p50, base),
      row("5 handoff call→notice back p50", "ms", "lower", n.roundTrip.p50, r.roundTrip.p50, base, { on: "ratio", kind: "max", limit: 1.5 }),
      row("5 handoff call→notice back p99", "ms", "lower", n.roundTrip.p99, r.roundTrip.p99, base),
    ];
  } finally {
    await host.stop();
    await raw.close();
  }
}

/** Two durable pull consumers on one stream: `to` acks and replies into `back`. */
async function rawPair(url: string, onTask: () => void, onReply: () => void) {
  const nc = await connect({ servers: url, name: "bench-raw-handoff" });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: RAW.stream, subjects: [RAW.to, RAW.back], storage: StorageType.File });
  for (const subject of [RAW.to, RAW.back]) await jsm.consumers.add(RAW.stream, { durable_name: subject.replaceAll(".", "-"), filter_subject: subject, ack_policy: AckPolicy.Explicit });
  const js: JetStreamClient = jetstream(nc);
  const tasks = await (await js.consumers.get(RAW.stream, RAW.to.replaceAll(".", "-"))).consume();
  const replies = await (await js.consumers.get(RAW.stream, RAW.back.replaceAll(".", "-"))).consume();
  const loops = [
    (async () => {
      for await (const m of tasks) {
        onTask();
        await js.publish(RAW.back, new TextEncoder().encode("done"));
        m.ack();
      }
    })(),
    (async () => {
      for await (const m of replies) {
        onReply();
        m.ack();
      }
    })(),
  ];
  return {
    send: () => js.publish(RAW.to, new TextEncoder().encode("take this")),
    close: async () => {
      tasks.stop();
      replies.stop();
      await Promise.all(loops);
      await nc.drain();
    },
  };
}
