import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { jetstream, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { connectClient, defineAgent, loadConfig, startHost, type Client, type Host } from "../../src/index.ts";
import { createEnvelope, DEAD_LETTER_HEADERS, encodeEnvelope } from "../../src/protocol/index.ts";
import { startServer, type TestServer } from "../helpers/nats-server.ts";

let srv: TestServer;
let nc: NatsConnection;
let jsm: JetStreamManager;
let host: Host;
let client: Client;
const handled: string[] = [];
const attempts = new Map<string, { deliveryCount: number; redelivered: boolean }[]>();

const worker = defineAgent({
  name: "Shaky",
  concurrency: 2,
  onMessage: async (msg, ctx) => {
    const seen = attempts.get(msg.id) ?? [];
    seen.push({ deliveryCount: ctx.deliveryCount, redelivered: ctx.redelivered });
    attempts.set(msg.id, seen);
    if (msg.content === "poison") throw new Error("cannot digest this");
    if (msg.content === "flaky" && ctx.deliveryCount === 1) throw new Error("first try fails");
    handled.push(msg.id);
    return "ok";
  },
});

before(async () => {
  srv = await startServer();
  nc = await connect({ servers: srv.url });
  jsm = await jetstreamManager(nc);
  const config = loadConfig({ NATS_URL: srv.url, NATTER_LOG_LEVEL: "silent", NATTER_MAX_DELIVER: "3", NATTER_RETRY_DELAYS_MS: "300,600" });
  host = await startHost({ agents: [worker], config });
  client = await connectClient({ name: "sender", config });
});

after(async () => {
  await client?.close();
  await host?.stop();
  await nc?.close();
  await srv?.dispose();
});

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test("poison: a message that always fails is dead-lettered after NATTER_MAX_DELIVER deliveries with its error; the agent serves others meanwhile", async () => {
  const poison = await client.sendDirectMessage("Shaky", "poison");
  const others: string[] = [];
  for (let i = 0; i < 20; i++) others.push((await client.sendDirectMessage("Shaky", `fine ${i}`)).envelope.id);
  await until("the other messages", () => others.every((id) => handled.includes(id)));
  await until("the dead letter", async () => ((await jsm.streams.info("AGENTS", { subjects_filter: "agents.dlq.Shaky" })).state.subjects?.["agents.dlq.Shaky"] ?? 0) > 0);

  const dead = await jsm.streams.getMessage("AGENTS", { last_by_subj: "agents.dlq.Shaky" });
  assert.ok(dead);
  assert.equal(dead.json<{ id: string }>().id, poison.envelope.id, "the dead letter carries the original envelope");
  assert.match(dead.header.get(DEAD_LETTER_HEADERS.error), /cannot digest this/);
  assert.equal(dead.header.get(DEAD_LETTER_HEADERS.deliveries), "3");
  assert.equal(dead.header.get(DEAD_LETTER_HEADERS.originalSubject), "agents.direct.Shaky");
  assert.equal(dead.header.get(DEAD_LETTER_HEADERS.originalSeq), String(poison.seq));
  assert.deepEqual(
    attempts.get(poison.envelope.id)!.map((a) => a.deliveryCount),
    [1, 2, 3],
    "retried up to the limit, each delivery counted",
  );

  // The original is terminated: nothing pending, and it does not come back.
  await new Promise((r) => setTimeout(r, 2000));
  const info = await jsm.consumers.info("AGENTS", "Shaky");
  assert.equal(info.num_pending + info.num_ack_pending, 0);
  assert.equal(attempts.get(poison.envelope.id)!.length, 3, "not delivered again after dead-lettering");
  const after = await client.sendDirectMessage("Shaky", "after");
  await until("a message after the poison", () => handled.includes(after.envelope.id));
});

test("idempotency: the same envelope published twice (a sender retrying after a timeout) is stored and handled once", async () => {
  const js = jetstream(nc);
  const envelope = createEnvelope({ type: "direct", from: "retrier", to: "Shaky", content: "only once please", notify: false });
  const first = await js.publish("agents.direct.Shaky", encodeEnvelope(envelope), { msgID: envelope.id });
  const second = await js.publish("agents.direct.Shaky", encodeEnvelope(envelope), { msgID: envelope.id });
  assert.equal(first.duplicate, false);
  assert.equal(second.duplicate, true, "the server recognised the retry");
  assert.equal(second.seq, first.seq, "the retry points at the stored original");
  await until("the message", () => handled.includes(envelope.id));
  const marker = await client.sendDirectMessage("Shaky", "marker");
  await until("a later message", () => handled.includes(marker.envelope.id));
  assert.equal(handled.filter((id) => id === envelope.id).length, 1, "handled once");
  assert.equal(attempts.get(envelope.id)!.length, 1, "delivered once");
});

test("idempotency: a handler sees a redelivered message flagged, with its delivery count", async () => {
  const sent = await client.sendDirectMessage("Shaky", "flaky");
  await until("the retry", () => handled.includes(sent.envelope.id));
  assert.deepEqual(attempts.get(sent.envelope.id), [
    { deliveryCount: 1, redelivered: false },
    { deliveryCount: 2, redelivered: true },
  ]);
});
