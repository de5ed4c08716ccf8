import { connect, type NatsConnection } from "@nats-io/transport-node";
import { AckPolicy, StorageType, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connectClient } from "../../../src/agent/client.ts";
import { defineAgent } from "../../../src/agent/define.ts";
import { startHost } from "../../../src/agent/host.ts";
import type { BenchContext } from "../context.ts";
import { sequential, signal, summarize, warmUp } from "../measure.ts";
import { row, type Row } from "../report.ts";

const RAW = { stream: "BENCH_DIRECT", subject: "bench.direct.sink", durable: "bench-sink" } as const;
const AGENT = "BenchSink";
/** Stored publishes in flight at once during the throughput run, on both sides. */
const WINDOW = 64;
const SLICES = 4;

/** A consumer side under test: call `deliver` with the send time when a handler starts. */
export interface Side {
  send(sentAt: number): Promise<unknown>;
  onHandled(fn: (sentAt: number) => void): void;
}

/**
 * Case 2: persisted direct messages, one sender and one agent with an empty handler:
 * throughput (WINDOW publishes in flight) and send → handler-start latency (one at a time),
 * against raw JetStream publish + durable pull consumer + ack.
 */
export async function directCase(ctx: BenchContext): Promise<Row[]> {
  ctx.progress("direct messages");
  const raw = await rawSide(ctx.url);
  let handled: (sentAt: number) => void = () => undefined;
  const host = await startHost({ agents: [defineAgent({ name: AGENT, onMessage: (msg) => void handled(Number(msg.metadata.sentAt)) })], config: ctx.config, logger: ctx.logger });
  const client = await connectClient({ name: "bench-sender", config: ctx.config, logger: ctx.logger });
  const natter: Side = {
    send: (sentAt) => client.sendDirectMessage(AGENT, "ping", { sentAt }, { notify: false }),
    onHandled: (fn) => (handled = fn),
  };
  // The default: the agent stores a completion notice in the sender's mailbox for every message.
  const noticed: Side = {
    send: (sentAt) => client.sendDirectMessage(AGENT, "ping", { sentAt }),
    onHandled: (fn) => (handled = fn),
  };
  const sides = { raw, natter, noticed };
  try {
    for (const side of Object.values(sides)) await warmUp(() => latency(side, 1));
    // Alternating slices, so that load from elsewhere on the machine falls on every side alike.
    const lat = { raw: [] as number[], natter: [] as number[] };
    const rate = { raw: { count: 0, ms: 0 }, natter: { count: 0, ms: 0 }, noticed: { count: 0, ms: 0 } };
    for (let slice = 0; slice < SLICES; slice++) {
      for (const name of ["raw", "natter", "noticed"] as const) {
        const side = sides[name];
        if (name !== "noticed") lat[name].push(...(await latency(side, Math.ceil(ctx.sizes.directLatency / SLICES))));
        const count = Math.ceil(ctx.sizes.directMessages / SLICES);
        rate[name].count += count;
        rate[name].ms += await throughput(side, count);
      }
    }
    const rawLat = summarize({ latenciesMs: lat.raw, elapsedMs: 1 });
    const natLat = summarize({ latenciesMs: lat.natter, elapsedMs: 1 });
    const perSecond = (r: { count: number; ms: number }) => (r.count * 1000) / r.ms;
    const base = "js.publish+pull+ack";
    return [
      row("2 direct msgs throughput, notify:false", "msg/s", "higher", perSecond(rate.natter), perSecond(rate.raw), base, { on: "ratio", kind: "min", limit: 0.8 }),
      row("2 direct msgs throughput, with notice", "msg/s", "higher", perSecond(rate.noticed), perSecond(rate.raw), base, { on: "ratio", kind: "min", limit: 0.6 }),
      row("2 direct send→handler p50", "ms", "lower", natLat.p50, rawLat.p50, base, { on: "ratio", kind: "max", limit: 1.2 }),
      row("2 direct send→handler p99", "ms", "lower", natLat.p99, rawLat.p99, base),
    ];
  } finally {
    await client.close();
    await host.stop();
    await raw.close();
  }
}

/** Send → handler-start latencies of `count` messages sent one at a time. */
async function latency(side: Side, count: number): Promise<number[]> {
  let waiting = signal<number>();
  side.onHandled((sentAt) => waiting.resolve(performance.now() - sentAt));
  const samples: number[] = [];
  await sequential(count, async () => {
    waiting = signal<number>();
    const [, ms] = await Promise.all([side.send(performance.now()), waiting.promise]);
    samples.push(ms);
  });
  return samples;
}

/** Milliseconds from the first send until the handler saw all `count` messages, WINDOW sends in flight. */
export async function throughput(side: Side, count: number): Promise<number> {
  let seen = 0;
  const all = signal();
  side.onHandled(() => {
    if (++seen === count) all.resolve();
  });
  const start = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      await side.send(performance.now());
    }
  };
  await Promise.all(Array.from({ length: WINDOW }, worker));
  await all.promise;
  return performance.now() - start;
}

/** The same by hand: a file stream, a durable pull consumer consumed on a second connection, acked per message. */
async function rawSide(url: string): Promise<Side & { close(): Promise<void> }> {
  const pub: NatsConnection = await connect({ servers: url, name: "bench-raw-sender" });
  const sub: NatsConnection = await connect({ servers: url, name: "bench-raw-sink" });
  const jsm = await jetstreamManager(pub);
  await jsm.streams.add({ name: RAW.stream, subjects: [RAW.subject], storage: StorageType.File });
  await jsm.consumers.add(RAW.stream, { durable_name: RAW.durable, filter_subject: RAW.subject, ack_policy: AckPolicy.Explicit });
  const js = jetstream(pub);
  const messages = await (await jetstream(sub).consumers.get(RAW.stream, RAW.durable)).consume();
  let handled: (sentAt: number) => void = () => undefined;
  const loop = (async () => {
    for await (const m of messages) {
      handled((m.json<{ sentAt: number }>()).sentAt);
      m.ack();
    }
  })();
  const encoder = new TextEncoder();
  return {
    send: (sentAt) => js.publish(RAW.subject, encoder.encode(JSON.stringify({ content: "ping", sentAt }))),
    onHandled: (fn) => (handled = fn),
    close: async () => {
      messages.stop();
      await loop;
      await sub.drain();
      await pub.drain();
    },
  };
}
