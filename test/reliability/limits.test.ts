import { afterEach, beforeEach, test } from "node:test";
import assert from "node:assert/strict";
import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { connectClient, defineAgent, loadConfig, MessageTooLargeError, NatterError, startHost, type Client, type Config, type Host } from "../../src/index.ts";
import { startServer, type TestServer } from "../helpers/nats-server.ts";

let srv: TestServer;
let nc: NatsConnection;
let jsm: JetStreamManager;
const closers: (() => Promise<unknown>)[] = [];

// A server per test: mailbox streams of different configs cannot share subjects on one server.
beforeEach(async () => {
  srv = await startServer();
  nc = await connect({ servers: srv.url });
  jsm = await jetstreamManager(nc);
});

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
  await nc?.close();
  await srv?.dispose();
});

function config(extra: Record<string, string>): Config {
  return loadConfig({ NATS_URL: srv.url, NATTER_LOG_LEVEL: "silent", ...extra });
}

async function client(cfg: Config): Promise<Client> {
  const c = await connectClient({ name: "sender", config: cfg });
  closers.push(() => c.close());
  return c;
}

async function stored(stream: string, subject: string): Promise<number> {
  const info = await jsm.streams.info(stream, { subjects_filter: subject });
  return info.state.subjects?.[subject] ?? 0;
}

test("limits: a message over NATTER_MAX_MESSAGE_BYTES fails before publishing with a clear error, nothing stored", async () => {
  const cfg = config({ NATTER_STREAM: "LIM_SIZE", NATTER_REGISTRY_BUCKET: "lim-size", NATTER_MAX_MESSAGE_BYTES: "4096" });
  const c = await client(cfg);
  await c.sendDirectMessage("Small", "fits");
  await assert.rejects(c.sendDirectMessage("Small", "x".repeat(5000)), (err: unknown) => {
    assert.ok(err instanceof MessageTooLargeError, String(err));
    assert.match(err.message, /over the 4096-byte limit \(NATTER_MAX_MESSAGE_BYTES\)/);
    return true;
  });
  await assert.rejects(c.requestFromAgent("Small", "x".repeat(5000)), MessageTooLargeError);
  assert.equal(await stored("LIM_SIZE", "agents.direct.Small"), 1, "only the message that fits was stored");
});

test("limits: a full mailbox stream refuses the publish and the sender gets a clear error, never a silent drop", async () => {
  const cfg = config({ NATTER_STREAM: "LIM_FULL", NATTER_REGISTRY_BUCKET: "lim-full", NATTER_STREAM_MAX_BYTES: "20000", NATTER_MAX_MESSAGE_BYTES: "2048" });
  const c = await client(cfg);
  assert.equal((await jsm.streams.info("LIM_FULL")).config.max_bytes, 20000, "NATTER_STREAM_MAX_BYTES is applied to the stream");
  const accepted: string[] = [];
  let refusal: unknown;
  for (let i = 0; i < 100 && refusal === undefined; i++) {
    try {
      accepted.push((await c.sendDirectMessage("Nobody", `${i} ${"y".repeat(1000)}`)).envelope.id);
    } catch (err) {
      refusal = err;
    }
  }
  assert.ok(refusal instanceof NatterError, `the stream filled and a publish was refused; got ${String(refusal)}`);
  assert.equal(refusal.code, "stream_full");
  assert.match(refusal.message, /full/i);
  assert.match(refusal.message, /NATTER_STREAM_MAX_BYTES/);
  assert.ok(accepted.length > 5, "messages that fit were accepted first");
  assert.equal(await stored("LIM_FULL", "agents.direct.Nobody"), accepted.length, "every acknowledged send is stored, and nothing else");
});

test("limits: a flood cannot exhaust a host: handlers bounded by concurrency, held messages by prefetch, all delivered", async () => {
  const cfg = config({ NATTER_STREAM: "LIM_FLOOD", NATTER_REGISTRY_BUCKET: "lim-flood" });
  let running = 0;
  let maxRunning = 0;
  const done = new Set<string>();
  const agent = defineAgent({
    name: "Slow",
    concurrency: 3,
    prefetch: 20,
    onMessage: async (msg) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      done.add(msg.id);
    },
  });
  const host: Host = await startHost({ agents: [agent], config: cfg });
  closers.push(() => host.stop());
  const c = await client(cfg);
  const N = 2000;
  const ids: string[] = [];
  const sends: Promise<void>[] = [];
  for (let i = 0; i < N; i++) sends.push(c.sendDirectMessage("Slow", `m${i}`, {}, { notify: false }).then((s) => void ids.push(s.envelope.id)));
  // What the host holds, read from the host itself: the server's num_ack_pending can run ahead of it for a
  // moment, because nats-server queues acks and pull requests separately (CI saw 21 and 23 of 20 that way).
  let maxHeld = 0;
  const sampler = setInterval(() => (maxHeld = Math.max(maxHeld, host.agents[0]!.held)), 1);
  const deadline = Date.now() + 180_000;
  while (done.size < N && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  clearInterval(sampler);
  await Promise.all(sends);
  assert.equal(done.size, N, "every message was handled");
  assert.ok(ids.every((id) => done.has(id)));
  assert.ok(maxRunning <= 3, `at most 3 handlers ran at once, saw ${maxRunning}`);
  assert.ok(maxRunning >= 2, `handlers did run concurrently, saw ${maxRunning}`);
  assert.ok(maxHeld <= 20, `the host held at most prefetch (20) unsettled messages, saw ${maxHeld}`);
  assert.ok(maxHeld >= 10, `the host did read ahead, saw at most ${maxHeld}`);
  assert.equal((await jsm.consumers.info("LIM_FLOOD", "Slow")).num_ack_pending, 0, "everything was acknowledged in the end");
});
