import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { connect, headers, type NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { agentsStreamConfig, ensureStream, registryStreamConfig, openBus, provision } from "../../src/transport/index.ts";
import { ConfigError, createLogger, loadConfig } from "../../src/index.ts";
import { registryKey } from "../../src/protocol/index.ts";
import { HEADER_ALLOWANCE_BYTES } from "../../src/transport/streams.ts";
import { startServer, type TestServer } from "../helpers/nats-server.ts";

let srv: TestServer;
let nc: NatsConnection;
before(async () => {
  srv = await startServer();
  nc = await connect({ servers: srv.url });
});
after(async () => {
  await nc.close();
  await srv.dispose();
});

const api = async (subject: string, body: unknown = "") => {
  const reply = await nc.request(subject, typeof body === "string" ? body : JSON.stringify(body), { timeout: 5000 });
  return reply.json<Record<string, unknown> & { error?: { description: string } }>();
};

test("provision: streams/*.json are accepted as-is by the JetStream API, as `nats stream add --config` sends them", async () => {
  for (const file of ["agents.json", "registry.json"]) {
    const spec = JSON.parse(readFileSync(new URL(`../../streams/${file}`, import.meta.url), "utf8")) as { name: string };
    const name = `RAW_${spec.name.replace(/\W/g, "_")}`;
    const subjects = file === "agents.json" ? ["raw.agents.>"] : ["$KV.raw-registry.>"];
    const created = await api(`$JS.API.STREAM.CREATE.${name}`, { ...spec, name, subjects });
    assert.equal(created.error, undefined, `${file}: ${created.error?.description}`);
  }
  const consumer = JSON.parse(readFileSync(new URL("../../streams/mailbox-consumer.json", import.meta.url), "utf8").replaceAll("{agent}", "Echo")) as Record<string, unknown>;
  const made = await api("$JS.API.CONSUMER.DURABLE.CREATE.RAW_AGENTS.Echo", { stream_name: "RAW_AGENTS", config: { ...consumer, filter_subject: "raw.agents.Echo" } });
  assert.equal(made.error, undefined, made.error?.description);
});

test("provision: creates the stream and bucket, and a second run changes nothing", async () => {
  const config = loadConfig({ NATS_URL: srv.url, NATTER_LOG_LEVEL: "silent" });
  const jsm = await jetstreamManager(nc);
  await provision(jsm, config);
  const first = await jsm.streams.info("AGENTS");
  await provision(jsm, config);
  const second = await jsm.streams.info("AGENTS");
  assert.deepEqual(second.config, first.config);
  assert.deepEqual(first.config.subjects, ["agents.all", "agents.direct.*", "agents.handoff.*.to.*", "agents.dlq.*", "agents.cancel", "agents.progress.*.*", "agents.group.*"]);
  assert.ok(!first.config.subjects.some((s) => s.startsWith("agents.request") || s.startsWith("agents.response")), "requests must not be captured");
  assert.equal((await ensureStream(jsm, agentsStreamConfig(config))).outcome, "unchanged");
  assert.equal((await ensureStream(jsm, registryStreamConfig(config))).outcome, "unchanged");
});

test("provision: clients with different NATTER_MAX_MESSAGE_BYTES leave the shared stream alone; one warning names both values; the stricter limit is used", async () => {
  const lines: string[] = [];
  const logger = createLogger({ level: "warn", format: "json", write: (l) => lines.push(l) });
  // Its own server, with room for 4 MiB messages: the AGENTS stream of the other tests would overlap.
  const own = await startServer({ extraConfig: "max_payload: 8MB" });
  const first = await openBus(loadConfig({ NATS_URL: own.url }), { logger });
  const before = (await first.jsm.streams.info("AGENTS")).config;
  const bigger = await openBus(loadConfig({ NATS_URL: own.url, NATTER_MAX_MESSAGE_BYTES: "4194304" }), { logger });
  const smaller = await openBus(loadConfig({ NATS_URL: own.url, NATTER_MAX_MESSAGE_BYTES: "65536" }), { logger });
  try {
    assert.deepEqual((await first.jsm.streams.info("AGENTS")).config, before, "the stream config did not change");
    const warnings = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.event === "stream.differs");
    assert.equal(warnings.length, 2, lines.join("\n"));
    assert.match(String(warnings[0]!.differences), new RegExp(`max_msg_size: stream ${1048576 + HEADER_ALLOWANCE_BYTES}, this process ${4194304 + HEADER_ALLOWANCE_BYTES}`));
    assert.match(String(warnings[1]!.differences), new RegExp(`max_msg_size: stream ${1048576 + HEADER_ALLOWANCE_BYTES}, this process ${65536 + HEADER_ALLOWANCE_BYTES}`));
    assert.equal(bigger.config.maxMessageBytes, 1048576, "the stream's smaller limit wins");
    assert.equal(smaller.config.maxMessageBytes, 65536, "its own smaller limit wins");
  } finally {
    await Promise.all([first.close(), bigger.close(), smaller.close()]);
    await own.dispose();
  }
});

test("provision: `apply` changes an existing stream to the given settings", async () => {
  const jsm = await jetstreamManager(nc);
  const config = loadConfig({ NATS_URL: srv.url, NATTER_MAX_MESSAGE_BYTES: "2097152" });
  const [agents] = await provision(jsm, config, undefined, { apply: true });
  assert.equal(agents!.outcome, "updated");
  assert.equal((await jsm.streams.info("AGENTS")).config.max_msg_size, 2097152 + HEADER_ALLOWANCE_BYTES);
});

test("provision: a message size above the server's max_payload is refused at connect", async () => {
  await assert.rejects(openBus(loadConfig({ NATS_URL: srv.url, NATTER_MAX_MESSAGE_BYTES: "2097152", NATTER_LOG_LEVEL: "silent" })), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.match(err.message, /NATTER_MAX_MESSAGE_BYTES \(2097152\) is above the server's max_payload \(1048576\)/);
    return true;
  });
});

test("provision: an existing stream that lacks natter's subjects fails with a clear error naming the differences", async () => {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: "CONFLICT", subjects: ["conflict.>"], storage: "memory" as never });
  const config = loadConfig({ NATS_URL: srv.url, NATTER_STREAM: "CONFLICT" });
  await assert.rejects(provision(jsm, config), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.match(err.message, /stream CONFLICT exists but does not capture agents\.all.*storage: have "memory", want "file"/);
    assert.match(err.message, /natter streams apply/);
    return true;
  });
  await assert.rejects(provision(jsm, config, undefined, { apply: true }), /stream CONFLICT exists with a conflicting config \(.*storage: have "memory", want "file".*nats stream rm CONFLICT/);
});

test("provision: registry entries are readable through plain JetStream API subjects, as the nats CLI reads them", async () => {
  const config = loadConfig({ NATS_URL: srv.url, NATTER_LOG_LEVEL: "silent" });
  const bus = await openBus(config);
  const key = registryKey("Weather-Bot", "i1");
  await bus.registry.put(key, JSON.stringify({ name: "Weather-Bot", instanceId: "i1", status: "available" }));
  await bus.close();

  const info = await api("$JS.API.STREAM.INFO.KV_natter-registry");
  assert.deepEqual((info.config as { subjects: string[] }).subjects, ["$KV.natter-registry.>"]);
  assert.equal((info.config as { max_msgs_per_subject: number }).max_msgs_per_subject, 1);
  const got = await api("$JS.API.STREAM.MSG.GET.KV_natter-registry", { last_by_subj: `$KV.natter-registry.${key}` });
  const message = got.message as { subject: string; data: string };
  assert.equal(message.subject, "$KV.natter-registry.Weather-Bot.i1");
  assert.equal(JSON.parse(Buffer.from(message.data, "base64").toString()).name, "Weather-Bot");
});

test("provision: the stream holds a dead letter of a message at the size limit with the largest headers natter writes, and not a byte more", async () => {
  const config = loadConfig({ NATS_URL: srv.url, NATTER_MAX_MESSAGE_BYTES: "4096" });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ ...agentsStreamConfig(config), name: "SIZED", subjects: ["sized.>"] });
  const h = headers();
  h.set("Nats-Msg-Id", `dlq-${"i".repeat(128)}`);
  h.set("Natter-Error", "€".repeat(1000));
  h.set("Natter-Deliveries", "1000");
  h.set("Natter-Original-Seq", String(Number.MAX_SAFE_INTEGER));
  h.set("Natter-Original-Subject", `agents.direct.${"n".repeat(64)}`);
  const js = jetstream(nc);
  await js.publish("sized.dlq", new Uint8Array(4096), { headers: h });
  h.set("Nats-Msg-Id", `dlq-${"j".repeat(128)}`);
  await assert.rejects(js.publish("sized.dlq", new Uint8Array(4097), { headers: h }), /maximum message size|message size exceeds/i);
  assert.equal((await jsm.streams.info("SIZED")).config.max_msg_size, 4096 + HEADER_ALLOWANCE_BYTES);
});
