import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { connectClient, loadConfig, type Client } from "../../src/index.ts";
import { createEnvelope, encodeEnvelope } from "../../src/protocol/index.ts";
import { startServer, type TestServer } from "../helpers/nats-server.ts";
import { startHostProcess, type HostProcess } from "../helpers/hosts.ts";

const BURST = 10_000;
const enc = new TextEncoder();

let srv: TestServer;
let nc: NatsConnection;
let client: Client;
let target: HostProcess;

before(async () => {
  srv = await startServer();
  nc = await connect({ servers: srv.url });
  // The first process creates the shared stream, and with it the size limit the host below relies on.
  client = await connectClient({ name: "tester", config: loadConfig({ NATS_URL: srv.url, NATTER_LOG_LEVEL: "silent", NATTER_MAX_MESSAGE_BYTES: "65536" }) });
  target = await startHostProcess(["test/fixtures/worker.ts"], { NATS_URL: srv.url, WORKER_NAME: "Target", NATTER_MAX_MESSAGE_BYTES: "65536", NATTER_ACK_WAIT_MS: "2000", NATTER_LOG_FORMAT: "json" });
});

after(async () => {
  await client?.close();
  await nc?.close();
  await target?.kill("SIGKILL");
  await srv?.dispose();
});

function rssBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith("VmRSS:"))!;
  return Number(line.replace(/\D+/g, "")) * 1024;
}

function logLines(event: string): { reason?: string }[] {
  return target
    .log()
    .split("\n")
    // The last piece may be a line still being written to the pipe: only whole lines parse.
    .slice(0, -1)
    .filter((l) => l.includes(`"${event}"`))
    .map((l) => JSON.parse(l) as { reason?: string });
}

const valid = { id: "x1", type: "direct", from: "Mallory", to: "Target", content: "hi", timestamp: "2026-01-01T00:00:00.000Z" };
/** Bad payloads, each with the reason the agent must log. */
const HOSTILE: [string, Uint8Array, RegExp][] = [
  ["random bytes", Uint8Array.from({ length: 512 }, (_, i) => (i * 7919 + 13) % 256), /not valid UTF-8|not JSON/],
  ["empty", new Uint8Array(), /payload is empty/],
  ["not JSON", enc.encode("{{{{"), /not JSON/],
  ["deep JSON", enc.encode("[".repeat(30_000) + "]".repeat(30_000)), /nests too deeply|must be a JSON object/],
  ["deep metadata", enc.encode(JSON.stringify({ ...valid, metadata: JSON.parse('{"a":'.repeat(40) + "1" + "}".repeat(40)) })), /metadata: must not nest deeper/],
  ["wrong types", enc.encode(JSON.stringify({ ...valid, content: 42, priority: "high" })), /content: must be a string/],
  ["unknown type", enc.encode(JSON.stringify({ ...valid, type: "explode" })), /type: must be one of/],
  ["bad from", enc.encode(JSON.stringify({ ...valid, from: "../etc passwd" })), /from:/],
  ["bad to", enc.encode(JSON.stringify({ ...valid, to: "Target.*" })), /to:/],
  ["another agent", encodeEnvelope(createEnvelope({ type: "direct", from: "Mallory", to: "Someone", content: "not yours" })), /addressed to "Someone", not "Target"/],
  ["an array", enc.encode("[1,2,3]"), /must be a JSON object/],
];

test("hostile: every bad payload on the mailbox is terminated and logged once with its reason; a huge one is refused by the stream", async () => {
  const js = jetstream(nc);
  for (const [, data] of HOSTILE) await js.publish("agents.direct.Target", data);
  await assert.rejects(js.publish("agents.direct.Target", new Uint8Array(200_000)), /maximum message size|message size exceeds/i, "the stream refuses payloads over its limit");
  const jsm = await jetstreamManager(nc);
  await waitSettled(jsm, HOSTILE.length);
  await target.waitForLog(() => logLines("mailbox.rejected").length >= HOSTILE.length).catch(() => undefined);
  const rejected = logLines("mailbox.rejected");
  assert.equal(rejected.length, HOSTILE.length, "each bad message logged exactly once");
  for (const [what, , reason] of HOSTILE) assert.ok(rejected.some((r) => reason.test(r.reason ?? "")), `${what}: logged with its reason; got ${JSON.stringify(rejected.map((r) => r.reason))}`);
});

test("hostile: bad requests get an error answer and one log line each; bad broadcasts are logged and ignored", async () => {
  for (const [what, data] of HOSTILE) {
    const reply = await nc.request("agents.request.Target", data, { timeout: 10_000 });
    assert.equal(reply.headers?.get("Natter-Error-Code"), "bad_request", what);
  }
  const huge = await nc.request("agents.request.Target", new Uint8Array(900_000), { timeout: 10_000 });
  assert.equal(huge.headers?.get("Natter-Error-Code"), "too_large", "a huge core request is refused unread, for its size");
  for (const [, data] of HOSTILE) nc.publish("agents.all", data);
  nc.publish("agents.request.Target", enc.encode("no reply subject"));
  await nc.flush();
  await waitFor(() => logLines("broadcast.rejected").length >= HOSTILE.length - 1 && logLines("rpc.rejected").length >= HOSTILE.length + 2);
  // "another agent" is a well-formed direct envelope: on agents.all the host ignores it quietly (it is not a broadcast).
  assert.equal(logLines("broadcast.rejected").length, HOSTILE.length - 1, "each bad broadcast logged once");
  assert.equal(logLines("rpc.rejected").length, HOSTILE.length + 2, "each bad request logged once (plus the huge one and the one without a reply subject)");
  assert.equal((await client.requestFromAgent("Target", "still ok?")).content, "Target did still ok?");
});

test(`hostile: a burst of ${BURST} bad messages: the agent stays up, memory bounded, each logged once, none redelivered`, { timeout: 600_000 }, async () => {
  const pid = target.proc.pid!;
  const before = rssBytes(pid);
  const js = jetstream(nc);
  const already = logLines("mailbox.rejected").length;
  const acks = [];
  for (let i = 0; i < BURST; i++) {
    acks.push(js.publish("agents.direct.Target", enc.encode(`garbage ${i} ${"z".repeat(i % 2000)}`)));
    if (acks.length >= 500) await Promise.all(acks.splice(0));
  }
  await Promise.all(acks);
  for (let i = 0; i < 200; i++) nc.request("agents.request.Target", enc.encode(`bad request ${i}`), { timeout: 60_000 }).catch(() => undefined);
  let peak = before;
  const jsm = await jetstreamManager(nc);
  await waitSettled(jsm, HOSTILE.length + BURST, () => (peak = Math.max(peak, rssBytes(pid))));
  // Settled on the server does not mean read from the host's stdout pipe: under load the lines trail behind.
  await target.waitForLog(() => logLines("mailbox.rejected").length - already >= BURST).catch(() => undefined);
  const rejected = logLines("mailbox.rejected").length - already;
  assert.equal(rejected, BURST, "each bad message logged exactly once");
  const info = await jsm.consumers.info("AGENTS", "Target");
  assert.equal(info.num_redelivered, 0, "none redelivered");
  assert.equal(target.proc.exitCode, null, "the agent is still up");
  console.log(`# hostile: rss before ${Math.round(before / 2 ** 20)} MiB, peak ${Math.round(peak / 2 ** 20)} MiB`);
  assert.ok(peak - before < 256 * 2 ** 20, `memory stayed bounded: grew ${Math.round((peak - before) / 2 ** 20)} MiB for ${BURST} messages`);
  assert.equal((await client.requestFromAgent("Target", "still ok?", { timeoutMs: 30_000 })).content, "Target did still ok?");
});

async function waitFor(check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out; log tail: ${target.log().slice(-1500)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits until the agent's consumer has settled `total` messages (acked or terminated) and holds nothing. */
async function waitSettled(jsm: Awaited<ReturnType<typeof jetstreamManager>>, total: number, sample?: () => void): Promise<void> {
  const deadline = Date.now() + 300_000;
  for (;;) {
    sample?.();
    const info = await jsm.consumers.info("AGENTS", "Target");
    if (info.ack_floor.stream_seq >= total && info.num_ack_pending === 0 && info.num_pending === 0) return;
    if (Date.now() > deadline) throw new Error(`not settled: ${JSON.stringify({ floor: info.ack_floor, pending: info.num_pending, ackPending: info.num_ack_pending })}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
