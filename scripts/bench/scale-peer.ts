import { setTimeout as sleep } from "node:timers/promises";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { AckPolicy, StorageType, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { defineAgent, loadConfig, startHost } from "../../src/index.ts";
import { openBus } from "../../src/transport/index.ts";
import type { PeerReady } from "./peer.ts";
import { SCALE_RAW, scaleAgentName } from "./names.ts";

/** Agents started at once, as the natter host does, so both sides load the server alike. */
const PARALLELISM = 64;

/** Starts `n` agents in this process (natter's, or their raw-NATS equivalent) and reports start time and memory. */
export async function startScalePeer(kind: "raw" | "natter", url: string, n: number): Promise<{ data: PeerReady; stop: () => Promise<void> }> {
  return kind === "natter" ? startNatter(n) : startRaw(url, n);
}

async function startNatter(n: number): Promise<{ data: PeerReady; stop: () => Promise<void> }> {
  const config = loadConfig();
  const bus = await openBus(config, { name: "bench-scale-natter" });
  const baseline = await settledMemory();
  const agents = Array.from({ length: n }, (_, i) => defineAgent({ name: scaleAgentName(n, i), onRequest: (msg) => msg.content, onMessage: () => undefined }));
  const t0 = performance.now();
  const host = await startHost({ agents, config, bus });
  const startMs = performance.now() - t0;
  const mem = await settledMemory();
  return {
    data: { startMs, rss: mem.rss, heapUsed: mem.heapUsed, baselineRss: baseline.rss, baselineHeap: baseline.heapUsed },
    stop: async () => {
      await host.stop();
      await bus.close();
    },
  };
}

/**
 * The same agents by hand: per agent a durable pull consumer being consumed, a request responder,
 * and a KV registry entry refreshed every 30 s.
 */
async function startRaw(url: string, n: number): Promise<{ data: PeerReady; stop: () => Promise<void> }> {
  const nc: NatsConnection = await connect({ servers: url, name: "bench-scale-raw" });
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  await jsm.streams.add({ name: SCALE_RAW.stream, subjects: [SCALE_RAW.directWildcard], storage: StorageType.File }).catch(() => undefined);
  const kv = await new Kvm(js).create(SCALE_RAW.bucket, { history: 1, ttl: 90_000 });
  const baseline = await settledMemory();
  const timers: NodeJS.Timeout[] = [];
  const stops: (() => void)[] = [];
  const startOne = async (i: number) => {
    const name = `raw-${scaleAgentName(n, i)}`;
    await jsm.consumers.add(SCALE_RAW.stream, { durable_name: name, filter_subject: SCALE_RAW.direct(name), ack_policy: AckPolicy.Explicit });
    const record = () => JSON.stringify({ name, pid: process.pid, lastHeartbeat: new Date().toISOString() });
    await kv.put(name, record());
    nc.subscribe(SCALE_RAW.request(name), { queue: name, callback: (err, msg) => void (err ? undefined : msg.respond(msg.data)) });
    const messages = await (await js.consumers.get(SCALE_RAW.stream, name)).consume({ max_messages: 16 });
    stops.push(() => void messages.stop());
    void (async () => {
      for await (const m of messages) m.ack();
    })();
    const timer = setInterval(() => void kv.put(name, record()).catch(() => undefined), 30_000);
    timer.unref();
    timers.push(timer);
  };
  const t0 = performance.now();
  for (let i = 0; i < n; i += PARALLELISM) await Promise.all(Array.from({ length: Math.min(PARALLELISM, n - i) }, (_, k) => startOne(i + k)));
  const startMs = performance.now() - t0;
  const mem = await settledMemory();
  return {
    data: { startMs, rss: mem.rss, heapUsed: mem.heapUsed, baselineRss: baseline.rss, baselineHeap: baseline.heapUsed },
    stop: async () => {
      for (const t of timers) clearInterval(t);
      for (const s of stops) s();
      await nc.drain();
    },
  };
}

/** Memory after garbage collection has had its chance (the peer runs with --expose-gc). */
async function settledMemory(): Promise<NodeJS.MemoryUsage> {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) {
    gc?.();
    await sleep(200);
  }
  return process.memoryUsage();
}
