import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { eventually } from "../helpers/eventually.ts";
import { startServer, type TestServer } from "../helpers/nats-server.ts";
import echo from "../fixtures/echo.ts";
import { buildThread, collectStream, prepareRedelivery, readThread, redeliver, tailTraffic, walkThread, watchAgents, type InspectedMessage } from "../../src/inspect/index.ts";
import { connectClient, defineAgent, loadConfig, startHost, type Client, type Config, type Host } from "../../src/index.ts";

const failer = defineAgent({
  name: "Failer",
  async onMessage() {
    throw new Error("always fails");
  },
});

let srv: TestServer;
let config: Config;
let host: Host;
let client: Client;

before(async () => {
  srv = await startServer();
  config = loadConfig({ NATS_URL: srv.url, NATTER_LOG_LEVEL: "silent", NATTER_MAX_DELIVER: "2", NATTER_RETRY_DELAYS_MS: "50" });
  host = await startHost({ agents: [echo, failer], config });
  client = await connectClient({ name: "tester", config });
});

after(async () => {
  await client?.close();
  await host?.stop();
  await srv?.dispose();
});


const notice = (id: string) => async () =>
  (await collectStream(client.bus, { filter: { to: "tester", type: "response" } })).find((m) => m.envelope?.inReplyTo === id);

test("inspect: readStream filters by recipient and thread, and buildThread nests the notice under its message", async () => {
  const sent = await client.sendDirectMessage("Echo", "hello");
  await eventually("the completion notice", notice(sent.envelope.id));
  const toEcho = await collectStream(client.bus, { filter: { to: "Echo" } });
  assert.deepEqual(toEcho.map((m) => m.envelope?.content), ["hello"]);
  assert.equal(toEcho[0]!.seq, sent.seq);
  const roots = await readThread(client.bus, sent.envelope.id);
  assert.equal(roots.length, 1);
  assert.equal(roots[0]!.message.envelope?.id, sent.envelope.id);
  assert.deepEqual(roots[0]!.replies.map((r) => [r.message.envelope?.from, r.message.envelope?.content]), [["Echo", "handled: hello"]]);
});

test("inspect: readStream honours --from-seq, type and progress; an empty match ends at once", async () => {
  const { envelope } = await client.broadcastMessage("to all");
  const progress: number[] = [];
  const broadcasts = await collectStream(client.bus, { filter: { type: "broadcast" }, onProgress: (p) => progress.push(p.matched) });
  assert.deepEqual(broadcasts.map((m) => m.envelope?.id), [envelope.id]);
  assert.equal(progress.at(-1), 1);
  assert.deepEqual(await collectStream(client.bus, { filter: { thread: "no-such-thread" } }), []);
  const last = (await client.bus.jsm.streams.info(config.stream)).state.last_seq;
  assert.deepEqual(await collectStream(client.bus, { filter: { fromSeq: last + 1 } }), []);
});

test("inspect: a dead letter carries why it failed, and redelivering it reaches another agent with replayOf", async () => {
  const sent = await client.sendDirectMessage("Failer", "doomed");
  const [dead] = await eventually("the dead letter", async () => {
    const found = await collectStream(client.bus, { filter: { deadLetters: true, thread: sent.envelope.id } });
    return found.length ? found : undefined;
  });
  assert.equal(dead!.deadLetter?.error, "always fails");
  assert.equal(dead!.deadLetter?.deliveries, 2);
  assert.equal(dead!.deadLetter?.originalSeq, sent.seq);
  assert.equal(dead!.envelope?.id, sent.envelope.id);
  const tree = buildThread(await collectStream(client.bus, { filter: { thread: sent.envelope.id } }));
  assert.ok([...walkThread(tree)].some(({ node, depth }) => depth === 1 && node.message.channel === "deadLetter"));

  const prepared = await prepareRedelivery(client.bus, dead!.seq!, "Echo");
  assert.notEqual(prepared.envelope.id, sent.envelope.id);
  assert.equal(prepared.envelope.metadata.replayOf, dead!.seq);
  const copy = await redeliver(client.bus, prepared);
  const done = await eventually("the notice of the redelivered copy", notice(copy.envelope.id));
  assert.equal(done.envelope?.content, "handled: doomed");
});

test("inspect: prepareRedelivery refuses a sequence that is not stored", async () => {
  await assert.rejects(prepareRedelivery(client.bus, 999_999, "Echo"), /no message with sequence 999999/);
});

test("inspect: tailTraffic hears stored messages and core requests and responses", async () => {
  const heard: InspectedMessage[] = [];
  const tail = await tailTraffic(client.bus, { filter: { agent: "Echo" }, onMessage: (m) => heard.push(m) });
  try {
    await client.requestFromAgent("Echo", "ping");
    await client.sendDirectMessage("Echo", "stored one");
    await eventually("tail output", async () => (heard.some((m) => m.envelope?.content === "stored one") ? true : undefined));
    const kinds = heard.map((m) => `${m.channel}:${m.envelope?.content}`);
    assert.ok(kinds.includes("request:ping"), kinds.join(", "));
    assert.ok(kinds.includes("response:echo: ping"), kinds.join(", "));
    assert.ok(!heard.some((m) => m.envelope?.content === "hello"), "only new messages");
  } finally {
    await tail.stop();
  }
});

test("inspect: watchAgents lists running agents and sees one stop", async () => {
  const extra = await startHost({ agents: [defineAgent({ name: "Brief", onMessage: () => "ok" })], config });
  let latest: string[] = [];
  const watch = await watchAgents(client.bus, { onChange: (s) => (latest = s.agents.filter((a) => a.status !== "offline").map((a) => a.name)) });
  try {
    assert.deepEqual(latest, ["Brief", "Echo", "Failer"]);
    await extra.stop();
    await eventually("Brief offline", async () => (!latest.includes("Brief") ? true : undefined));
  } finally {
    await watch.stop();
  }
});
