import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { connect, headers, type NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { AgentUnavailableError, connectClient, loadConfig, RemoteError, RequestTimeoutError, type Client } from "../../src/index.ts";
import { createEnvelope, encodeEnvelope } from "../../src/protocol/index.ts";
import { startServer, type TestServer } from "../helpers/nats-server.ts";
import { eventually } from "../helpers/eventually.ts";
import { Events, startHostProcess, type HostProcess } from "../helpers/hosts.ts";

let srv: TestServer;
let events: Events;
let alpha: HostProcess;
let beta: HostProcess;
let client: Client;
let nc: NatsConnection;

before(async () => {
  srv = await startServer();
  events = await Events.listen(srv.url);
  const env = { NATS_URL: srv.url };
  [alpha, beta] = await Promise.all([
    startHostProcess(["test/fixtures/worker.ts"], { ...env, WORKER_NAME: "Alpha" }),
    startHostProcess(["test/fixtures/worker.ts"], { ...env, WORKER_NAME: "Beta" }),
  ]);
  client = await connectClient({ name: "tester", config: loadConfig({ NATS_URL: srv.url, NATTER_LOG_LEVEL: "silent" }) });
  nc = await connect({ servers: srv.url });
});

after(async () => {
  await client?.close();
  await nc?.close();
  await Promise.all([alpha?.kill(), beta?.kill()]);
  await events?.close();
  await srv?.dispose();
});

test("patterns: request/response across processes, chained through a second agent", async () => {
  const answer = await client.requestFromAgent("Alpha", "ask:Beta=ping");
  assert.equal(answer.type, "response");
  assert.equal(answer.from, "Alpha");
  assert.equal(answer.content, "Alpha asked Beta: Beta did ping");
  const inner = events.all.find((e) => e.agent === "Beta" && e.type === "request" && e.content === "ping");
  assert.equal(inner?.from, "Alpha");
  assert.notEqual(inner?.pid, events.all.find((e) => e.agent === "Alpha")?.pid, "the two agents run in different processes");
});

test("patterns: a direct message lands in the recipient's mailbox and a completion notice comes back", async () => {
  await client.requestFromAgent("Alpha", "dm:Beta=hello from alpha");
  const [got] = (await events.until((all) => all.some((e) => e.agent === "Beta" && e.content === "hello from alpha"), 10_000, "Beta's direct message")).filter(
    (e) => e.agent === "Beta" && e.content === "hello from alpha",
  );
  assert.equal(got!.type, "direct");
  assert.equal(got!.from, "Alpha");
  const notice = await events.until((all) => all.some((e) => e.agent === "Alpha" && e.event === "response" && e.inReplyTo === got!.id), 10_000, "completion notice");
  assert.equal(notice.find((e) => e.inReplyTo === got!.id)!.content, "Beta did hello from alpha");
});

test("patterns: a handoff reaches the target at priority 1 and is recorded on agents.handoff.{from}.to.{to}", async () => {
  await client.requestFromAgent("Alpha", "handoff:Beta");
  const all = await events.until((a) => a.some((e) => e.agent === "Beta" && e.type === "handoff"), 10_000, "handoff");
  const handoff = all.find((e) => e.agent === "Beta" && e.type === "handoff")!;
  assert.equal(handoff.from, "Alpha");
  assert.equal(handoff.content, "handed over by Alpha");
  const jsm = await jetstreamManager(nc);
  // The record is sent after the mailbox copy is stored, without waiting for its own acknowledgement.
  const record = await eventually("the handoff record", () => jsm.streams.getMessage("AGENTS", { last_by_subj: "agents.handoff.Alpha.to.Beta" }).then((m) => m ?? undefined, () => undefined));
  const envelope = record.json<{ id: string; priority: number; type: string }>();
  assert.equal(envelope.id, handoff.id);
  assert.equal(envelope.priority, 1);
});

test("patterns: a broadcast reaches every other running agent, not its sender", async () => {
  await client.requestFromAgent("Alpha", "broadcast:hello everyone");
  await events.until((a) => a.some((e) => e.event === "broadcast" && e.agent === "Beta" && e.content === "hello everyone"), 10_000, "broadcast at Beta");
  await client.broadcastMessage("from the tester");
  await events.until((a) => ["Alpha", "Beta"].every((n) => a.some((e) => e.event === "broadcast" && e.agent === n && e.content === "from the tester")), 10_000, "both hear the tester");
  assert.ok(!events.all.some((e) => e.event === "broadcast" && e.agent === "Alpha" && e.content === "hello everyone"), "the sender does not hear itself");
});

test("patterns: a request to a missing agent fails fast with AgentUnavailableError", async () => {
  const started = performance.now();
  await assert.rejects(client.requestFromAgent("Nobody", "hello?", { timeoutMs: 30_000 }), (err: unknown) => err instanceof AgentUnavailableError && err.agent === "Nobody");
  // No responder is a fast answer from the server, not the timeout running out (generous: CI machines are loaded).
  assert.ok(performance.now() - started < 10_000, "well under the 30 s timeout");
});

test("patterns: a slow agent fails with RequestTimeoutError naming the agent and the timeout", async () => {
  await assert.rejects(client.requestFromAgent("Beta", "sleep:1500", { timeoutMs: 200 }), (err: unknown) => {
    assert.ok(err instanceof RequestTimeoutError);
    assert.equal(err.agent, "Beta");
    assert.equal(err.timeoutMs, 200);
    assert.match(err.message, /request to agent "Beta" timed out after 200 ms/);
    return true;
  });
});

test("patterns: a handler that throws comes back as RemoteError and the agent keeps serving", async () => {
  await assert.rejects(client.requestFromAgent("Beta", "fail:on purpose"), (err: unknown) => {
    assert.ok(err instanceof RemoteError);
    assert.equal(err.code, "handler_error");
    assert.match(err.message, /agent "Beta" failed: failing as asked: on purpose/);
    return true;
  });
  assert.equal((await client.requestFromAgent("Beta", "still there?")).content, "Beta did still there?");
});

test("patterns: a plain `nats req` with an envelope gets its answer on the request's own reply subject", async () => {
  const request = createEnvelope({ type: "request", from: "foreign", to: "Beta", content: "hi from go" });
  const reply = await nc.request("agents.request.Beta", encodeEnvelope(request), { timeout: 5000 });
  const answer = reply.json<{ type: string; content: string; inReplyTo: string; to: string }>();
  assert.deepEqual([answer.type, answer.content, answer.inReplyTo, answer.to], ["response", "Beta did hi from go", request.id, "foreign"]);
});

test("patterns: hostile input on an agent's subjects is rejected with a logged reason, not redelivered, and the agent keeps serving", async () => {
  const bad = [
    new TextEncoder().encode("\u0000\u0001 not json"),
    new TextEncoder().encode(JSON.stringify({ hello: "world" })),
    encodeEnvelope(createEnvelope({ type: "direct", from: "Mallory", to: "Alpha", content: "not for Beta" })),
  ];
  for (const data of bad) {
    const reply = await nc.request("agents.request.Beta", data, { timeout: 5000 });
    assert.equal(reply.headers?.get("Natter-Error-Code"), "bad_request");
  }
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  for (const data of bad) await js.publish("agents.direct.Beta", data);
  const h = headers();
  h.set("x", "y");
  await js.publish("agents.direct.Beta", new Uint8Array(), { headers: h });
  const deadline = Date.now() + 10_000;
  let info = await jsm.consumers.info("AGENTS", "Beta");
  while ((info.num_ack_pending > 0 || info.num_pending > 0) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    info = await jsm.consumers.info("AGENTS", "Beta");
  }
  assert.equal(info.num_pending + info.num_ack_pending, 0, "every bad message was settled");
  await new Promise((r) => setTimeout(r, 500));
  assert.equal((await jsm.consumers.info("AGENTS", "Beta")).num_redelivered, 0, "none came back");
  await beta.waitForLog((log) => log.split("\n").filter((l) => l.includes("mailbox.rejected")).length >= 4).catch(() => undefined);
  const rejected = beta.log().split("\n").filter((l) => l.includes("mailbox.rejected"));
  assert.equal(rejected.length, 4, rejected.join("\n"));
  assert.match(rejected.join("\n"), /not JSON/);
  assert.match(rejected.join("\n"), /id: is required/);
  assert.match(rejected.join("\n"), /addressed to \\?"Alpha\\?", not \\?"Beta\\?"/);
  assert.match(rejected.join("\n"), /payload is empty/);
  assert.match(beta.log(), /rpc.rejected/);
  assert.equal((await client.requestFromAgent("Beta", "ok?")).content, "Beta did ok?");
});
