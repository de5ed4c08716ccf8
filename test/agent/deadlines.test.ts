// Deadlines as a sender in another language sees them: plain nats.js, no natter client on the sending side.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import v8 from "node:v8";
import vm from "node:vm";
import { DeliverPolicy, jetstream, type JetStreamClient } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { defineAgent } from "../../src/index.ts";
import { eventually, setup, type Bench } from "../helpers/in-process.ts";

let b: Bench;
let nc: NatsConnection;
let js: JetStreamClient;
const starts = new Map<string, number[]>();
const lateResults: string[] = [];

const agent = defineAgent({
  name: "Timed",
  description: "slow work that honours its signal; requests that ignore it",
  concurrency: 2,
  async onMessage(msg, ctx) {
    starts.set(msg.id, [...(starts.get(msg.id) ?? []), Date.now()]);
    await sleep(5000, undefined, { signal: ctx.signal });
    return "finished";
  },
  async onRequest(msg) {
    starts.set(msg.id, [...(starts.get(msg.id) ?? []), Date.now()]);
    await sleep(4000);
    lateResults.push(msg.id);
    return "late success";
  },
});

before(async () => {
  // Retries one second apart: a message its deadline aborted would be back within the test's wait if it were retried.
  b = await setup({ NATTER_RETRY_DELAYS_MS: "500" });
  nc = await connect({ servers: b.srv.url });
  js = jetstream(nc);
});

after(async () => {
  await nc?.close();
  await b?.dispose();
});

// A full garbage collection on demand: Node 20 once let a deadline's timer be collected with its signal, so it never fired.
v8.setFlagsFromString("--expose-gc");
const collectGarbage = vm.runInNewContext("gc") as () => void;

let n = 0;
function envelope(type: "direct" | "request", content: string, deadline: Date): Record<string, unknown> {
  return { id: `foreign-${type}-${++n}-${Date.now()}`, type, from: "foreign", to: "Timed", content, timestamp: new Date().toISOString(), deadline: deadline.toISOString() };
}

async function send(env: Record<string, unknown>): Promise<void> {
  await js.publish("agents.direct.Timed", JSON.stringify(env), { msgID: String(env.id) });
}

/** Notices stored for the foreign sender that answer `id`. */
async function notices(id: string): Promise<{ content: string; metadata: { error?: { code?: string } } }[]> {
  const consumer = await js.consumers.get("AGENTS", { filter_subjects: "agents.direct.foreign", deliver_policy: DeliverPolicy.All });
  const found: { inReplyTo?: string; content: string; metadata: { error?: { code?: string } } }[] = [];
  const batch = await consumer.fetch({ max_messages: 100, expires: 1000 });
  for await (const m of batch) found.push(m.json());
  return found.filter((x) => x.inReplyTo === id);
}

test("deadlines: a stored message whose handler its deadline aborts runs once, is never retried after it, and its sender gets deadline_exceeded", async () => {
  await b.host(agent);
  const deadline = new Date(Date.now() + 1000);
  const env = envelope("direct", "slow work", deadline);
  await send(env);
  await eventually("the handler to start", () => starts.has(String(env.id)), 10_000);
  collectGarbage();
  await eventually("the failure notice", async () => (await notices(String(env.id))).length > 0, 15_000);
  // Long enough for two retries, were it retried.
  await sleep(1500);
  const runs = starts.get(String(env.id)) ?? [];
  assert.equal(runs.length, 1, "the handler ran once");
  assert.ok(runs[0]! < deadline.getTime(), "and started before the deadline");
  const [notice, ...more] = await notices(String(env.id));
  assert.equal(more.length, 0, "one notice");
  assert.equal(notice!.metadata.error?.code, "deadline_exceeded", `the notice: ${JSON.stringify(notice)}`);
  const consumer = await b.client.bus.jsm.consumers.info("AGENTS", "Timed");
  assert.equal(consumer.num_ack_pending + consumer.num_pending, 0, "terminated, not waiting to come back");
});

test("deadlines: a stored message already past its deadline when taken never starts a handler; its sender gets deadline_exceeded", async () => {
  // The agent is running (from the test above), but the message expires in the stream before it can be taken.
  const blockers = [envelope("direct", "busy", new Date(Date.now() + 3000)), envelope("direct", "busy", new Date(Date.now() + 3000))];
  for (const e of blockers) await send(e);
  await eventually("both slots busy", () => blockers.every((e) => starts.has(String(e.id))), 10_000);
  const env = envelope("direct", "too late", new Date(Date.now() + 300));
  await send(env);
  await eventually("the failure notice", async () => (await notices(String(env.id))).length > 0, 15_000);
  assert.equal(starts.get(String(env.id)), undefined, "the handler never started");
  const [notice] = await notices(String(env.id));
  assert.equal(notice!.metadata.error?.code, "deadline_exceeded");
});

test("deadlines: a request whose handler ignores its signal is answered deadline_exceeded at the deadline, not with the late success", async () => {
  const deadline = new Date(Date.now() + 1000);
  const env = envelope("request", "slow answer", deadline);
  const sent = Date.now();
  const reply = await nc.request("agents.request.Timed", JSON.stringify(env), { timeout: 10_000 });
  const answeredAt = Date.now();
  console.log(`# request deadline: answered ${answeredAt - deadline.getTime()} ms after the deadline (sent ${deadline.getTime() - sent} ms before it)`);
  assert.equal(reply.headers?.get("Natter-Error-Code"), "deadline_exceeded");
  assert.ok(answeredAt >= deadline.getTime() - 50, "not before the deadline");
  // The handler ends 3 s after the deadline: an answer anywhere near the deadline is not its late success.
  assert.ok(answeredAt - deadline.getTime() < 1500, `answered at the deadline, not ${answeredAt - deadline.getTime()} ms after it`);
  await eventually("the handler to end late", () => lateResults.includes(String(env.id)), 10_000);
});

test("deadlines: a request already past its deadline is refused at once, without running", async () => {
  const env = envelope("request", "too late", new Date(Date.now() - 1000));
  const reply = await nc.request("agents.request.Timed", JSON.stringify(env), { timeout: 10_000 });
  assert.equal(reply.headers?.get("Natter-Error-Code"), "deadline_exceeded");
  assert.equal(starts.get(String(env.id)), undefined);
});
