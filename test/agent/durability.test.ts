import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { jetstreamManager } from "@nats-io/jetstream";
import { collectStream } from "../../src/inspect/index.ts";
import { startHostProcess, startProcessLab, type HostProcess, type ProcessLab } from "../helpers/hosts.ts";

let lab: ProcessLab;

before(async () => {
  lab = await startProcessLab();
});

after(async () => lab?.dispose());

async function host(name: string, extra: Record<string, string> = {}): Promise<HostProcess> {
  const h = await startHostProcess(["test/fixtures/worker.ts"], { NATS_URL: lab.srv.url, WORKER_NAME: name, NATTER_ACK_WAIT_MS: "2000", ...extra });
  lab.hosts.push(h);
  return h;
}

test("durability: a direct message sent before its agent ever ran is delivered exactly once when it starts", async () => {
  const sent = await lab.client.sendDirectMessage("Late", "are you there?");
  await new Promise((r) => setTimeout(r, 2000));
  assert.equal(lab.events.all.filter((e) => e.agent === "Late").length, 0);
  await host("Late");
  await lab.events.until((all) => all.some((e) => e.agent === "Late" && e.event === "done"), 10_000, "the late agent to handle it");
  await new Promise((r) => setTimeout(r, 2500));
  const handled = lab.events.all.filter((e) => e.agent === "Late" && e.event === "start");
  assert.equal(handled.length, 1, "exactly once");
  assert.equal(handled[0]!.id, sent.envelope.id);
  assert.equal(handled[0]!.deliveryCount, 1);
});

test("durability: kill -9 of a host mid-handler redelivers the message to another instance, which completes it", async () => {
  const first = await host("Crashy", { WORKER_HANGS: "1" });
  const sent = await lab.client.sendDirectMessage("Crashy", "hang:60000");
  const started = await lab.events.until((all) => all.some((e) => e.id === sent.envelope.id && e.event === "start"), 10_000, "the handler to start");
  assert.equal(started.find((e) => e.id === sent.envelope.id)!.pid, first.proc.pid);
  await first.kill("SIGKILL");
  const second = await host("Crashy");
  const consumer = async () => JSON.stringify(await lab.client.bus.jsm.consumers.info("AGENTS", "Crashy"));
  const all = await lab.events.until((a) => a.some((e) => e.id === sent.envelope.id && e.event === "done" && e.pid === second.proc.pid), 15_000, "completion on the second host").catch(async (err: Error) => {
    throw new Error(`${err.message}\nconsumer: ${await consumer()}\nsecond host log: ${second.log().slice(-3000)}`);
  });
  // A copy the server sends twice comes within moments (seen on a loaded machine): count once it is settled there.
  for (let i = 0; i < 200 && (await lab.client.bus.jsm.consumers.info("AGENTS", "Crashy")).num_ack_pending > 0; i++) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(all.filter((e) => e.id === sent.envelope.id && e.event === "done").length, 1, "completed once");
  assert.equal(all.filter((e) => e.id === sent.envelope.id && e.event === "start" && e.pid === second.proc.pid).length, 1, "started once on the second host");
  // Not asserted: ctx.deliveryCount here. nats-server 2.9.10 sometimes reports 1 for a copy redelivered after
  // its first consumer was killed (seen with a dead host's pull request still open); see docs/reliability.md.
});

test("durability: a message acknowledged before a crash is not handled again by the next instance", async () => {
  const a = await host("Steady");
  const sent = await lab.client.sendDirectMessage("Steady", "sleep:300");
  await lab.events.until((all) => all.some((e) => e.id === sent.envelope.id && e.event === "done"), 10_000, "completion");
  // "done" is reported before the runtime acknowledges; kill only once the ack reached the server.
  const jsm = await jetstreamManager(lab.client.bus.nc);
  for (let i = 0; i < 100 && (await jsm.consumers.info("AGENTS", "Steady")).num_ack_pending > 0; i++) await new Promise((r) => setTimeout(r, 50));
  await a.kill("SIGKILL");
  await host("Steady");
  await new Promise((r) => setTimeout(r, 3000));
  assert.equal(lab.events.all.filter((e) => e.id === sent.envelope.id && e.event === "done").length, 1, "an acknowledged message is not handled again");
});

test("durability: agents reconnect after the server restarts; nothing acknowledged is lost and buffered sends arrive", async () => {
  await host("Survivor");
  const before = await lab.client.sendDirectMessage("Survivor", "before restart");
  await lab.events.until((all) => all.some((e) => e.id === before.envelope.id && e.event === "done"), 10_000, "the first message");

  // Acknowledged by JetStream, then the server goes away before the agent can read them.
  await lab.client.requestFromAgent("Survivor", "sleep:10");
  const stored = [];
  for (let i = 0; i < 20; i++) stored.push(await lab.client.sendDirectMessage("Survivor", `stored ${i}`, {}, { priority: 5 }));
  await lab.srv.stop();
  // Core requests made while the server is down are buffered by the lab.client and sent on reconnect.
  const during = lab.client.requestFromAgent("Survivor", "asked during the outage", { timeoutMs: 20_000 });
  await new Promise((r) => setTimeout(r, 1500));
  await lab.srv.start();
  const answer = await during;
  assert.equal(answer.content, "Survivor did asked during the outage");

  const after = await lab.client.sendDirectMessage("Survivor", "after restart");
  const ids = new Set([...stored.map((s) => s.envelope.id), after.envelope.id]);
  // Count the completion notices stored in the tester's mailbox: core test lab.events sent while the
  // listener itself was reconnecting are lost, stored notices are not.
  const notices = async () => (await collectStream(lab.client.bus, { filter: { to: "tester" } })).filter((m) => m.envelope?.inReplyTo && ids.has(m.envelope.inReplyTo));
  const deadline = Date.now() + 60_000;
  let found = await notices();
  while (new Set(found.map((m) => m.envelope!.inReplyTo)).size < ids.size && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    found = await notices();
  }
  assert.equal(new Set(found.map((m) => m.envelope!.inReplyTo)).size, ids.size, "every acknowledged message was handled");
  assert.equal(found.length, ids.size, "and each was completed once (one notice each)");
});

test("durability: a handler running past the ack wait keeps its message, also when it starts after the mailbox was idle", async () => {
  await host("Slow");
  const delivered = async () => (await lab.client.bus.jsm.consumers.info("AGENTS", "Slow")).delivered.consumer_seq;
  // The keep-alive runs only while messages are held: the second message arrives after it stopped for lack of any.
  for (const round of [1, 2]) {
    const before = await delivered();
    const sent = await lab.client.sendDirectMessage("Slow", "sleep:5000");
    await lab.events.until((all) => all.some((e) => e.id === sent.envelope.id && e.event === "done"), 15_000, `completion of message ${round}`);
    await new Promise((r) => setTimeout(r, 1500));
    // A copy redelivered while held is settled with the first, not run: only the server's count shows it.
    assert.equal((await delivered()) - before, 1, `message ${round} delivered once, not again after the 2 s ack wait`);
  }
});
