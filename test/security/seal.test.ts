import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCurve, createUser } from "@nats-io/nkeys";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager, type JetStreamClient } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { defineAgent } from "../../src/agent/define.ts";
import { startHost, type Host } from "../../src/agent/host.ts";
import { connectClient, type Client } from "../../src/agent/client.ts";
import { loadConfig } from "../../src/config/config.ts";
import { NatterError } from "../../src/errors.ts";
import { createLogger } from "../../src/logger.ts";
import type { Envelope } from "../../src/protocol/envelope.ts";
import { formatMessage, formatThread } from "../../src/cli/format.ts";
import { collectStream } from "../../src/inspect/read.ts";
import { readThread } from "../../src/inspect/thread.ts";
import { toUiMessage } from "../../src/ui/message.ts";
import { eventually } from "../helpers/eventually.ts";
import { startServer, type TestServer } from "../helpers/nats-server.ts";

const SECRET = "the-launch-code-is-7781";

/** Everything a plain subscriber on `>` saw, as text: what a broker operator or a tap on the wire reads. */
function tap(nc: NatsConnection): string[] {
  const seen: string[] = [];
  nc.subscribe(">", { callback: (_e, m) => void seen.push(`${m.subject} ${m.headers?.toString() ?? ""} ${Buffer.from(m.data).toString("latin1")}`) });
  return seen;
}

/** Every message stored in the stream, as text, read with plain JetStream. */
async function storedText(nc: NatsConnection, stream: string): Promise<string> {
  const jsm = await jetstreamManager(nc);
  const last = (await jsm.streams.info(stream)).state.last_seq;
  const parts: string[] = [];
  for (let seq = 1; seq <= last; seq++) {
    const m = await jsm.streams.getMessage(stream, { seq }).catch(() => null);
    if (m) parts.push(`${m.subject} ${Buffer.from(m.data).toString("latin1")}`);
  }
  return parts.join("\n");
}

describe("security: sealed messages", () => {
  let srv: TestServer;
  let host: Host;
  let client: Client;
  let plain: NatsConnection;
  let js: JetStreamClient;
  let wire: string[];
  const bobGot: Envelope[] = [];
  const lines: string[] = [];

  before(async () => {
    srv = await startServer();
    const env = { NATS_URL: srv.url, NATTER_HEARTBEAT_MS: "60000", NATTER_SEAL: "direct", NATTER_MAX_DELIVER: "2", NATTER_RETRY_DELAYS_MS: "100" };
    const logger = createLogger({ level: "warn", format: "json", write: (l) => lines.push(l) });
    plain = await connect({ servers: srv.url });
    js = jetstream(plain);
    wire = tap(plain);
    await plain.flush();
    host = await startHost({
      agents: [
        defineAgent({
          name: "Bob",
          onMessage: (m) => {
            bobGot.push(m);
            return `Bob read ${m.content}`;
          },
          onRequest: (r) => ({ content: `Bob answers ${r.content}`, metadata: { echoed: r.metadata } }),
        }),
      ],
      config: loadConfig(env),
      logger,
    });
    client = await connectClient({ name: "tester", config: loadConfig(env), logger });
  });
  after(async () => {
    await client?.close();
    await host?.stop();
    await plain?.close();
    await srv?.dispose();
  });

  /** Bob's registry record, read with plain KV as a foreign client would. */
  async function bobRecord(): Promise<Record<string, unknown>> {
    const kv = await new Kvm(plain).open(host.bus.config.registryBucket);
    for await (const k of await kv.keys("Bob.*")) return JSON.parse(new TextDecoder().decode((await kv.get(k))!.value)) as Record<string, unknown>;
    throw new Error("Bob is not registered");
  }

  test("seal: a direct message, a handoff and a request reach Bob readable, and the secret is nowhere on the wire or in the stream", async () => {
    const sent = await client.sendDirectMessage("Bob", `direct ${SECRET}`, { metadata: { note: SECRET } });
    assert.equal(sent.envelope.content, `direct ${SECRET}`, "the sender keeps its readable copy");
    await client.handoffToAgent("Bob", `handoff ${SECRET}`);
    const answer = await client.requestFromAgent("Bob", `request ${SECRET}`, { metadata: { m: SECRET } });
    assert.equal(answer.content, `Bob answers request ${SECRET}`);
    assert.deepEqual(answer.metadata, { echoed: { m: SECRET } });
    assert.equal(answer.sealed, undefined, "the caller gets the opened answer");
    await eventually("Bob handles both", async () => (bobGot.length >= 2 ? true : undefined));
    const direct = bobGot.find((m) => m.type === "direct")!;
    assert.equal(direct.content, `direct ${SECRET}`);
    assert.deepEqual(direct.metadata, { note: SECRET });
    assert.equal(bobGot.find((m) => m.type === "handoff")?.content, `handoff ${SECRET}`);
    // The completion notices carry Bob's result (the secret again): they are stored sealed too.
    const stream = host.bus.config.stream;
    await eventually("both notices stored", async () => ((await storedText(plain, stream)).split("agents.direct.tester").length - 1 >= 2 ? true : undefined));
    await plain.flush();
    const stored = await storedText(plain, stream);
    assert.ok(!stored.includes(SECRET), "the secret is in the stored stream bytes");
    assert.ok(stored.includes('"sealed":{"by":"X'), "the stored mail is sealed");
    assert.ok(stored.includes("agents.handoff.tester.to.Bob"), "the handoff record is stored");
    const tapped = wire.join("\n");
    assert.ok(tapped.includes("agents.request.Bob"), "the tap saw the request");
    assert.ok(!tapped.includes(SECRET), "the secret went over the wire in clear");
  });

  test("seal: replay, thread and the console show a sealed body as [sealed]", async () => {
    const sent = await client.sendDirectMessage("Bob", `shown ${SECRET}`, { metadata: {} });
    const thread = sent.envelope.threadId!;
    const roots = await eventually("the thread with its notice", async () => {
      const r = await readThread(client.bus, thread);
      return r.length === 1 && r[0]!.replies.length === 1 ? r : undefined;
    });
    const lines = formatThread(roots);
    assert.equal(lines.length, 2);
    for (const line of lines) {
      assert.match(line, /\[sealed\]/);
      assert.ok(!line.includes(SECRET));
    }
    const stored = await collectStream(client.bus, { filter: { thread } });
    assert.ok(stored.every((m) => formatMessage(m).includes("[sealed]")));
    assert.ok(stored.every((m) => toUiMessage(m, "k").preview === "[sealed]"));
    // The API's thread() hands back the stored (sealed) envelopes: nothing to open there, nothing to crash on.
    assert.ok((await client.thread(thread)).every((e) => e.sealed !== undefined && e.content === ""));
  });

  test("seal: a recipient without a curve key is an error, not a send in clear", async () => {
    await assert.rejects(client.sendDirectMessage("Nobody", `to nobody ${SECRET}`), (err: unknown) => err instanceof NatterError && err.code === "recipient_has_no_seal_key");
    await assert.rejects(client.requestFromAgent("Nobody", "hi", { timeoutMs: 500 }), (err: unknown) => err instanceof NatterError && err.code === "recipient_has_no_seal_key");
    assert.ok(!(await storedText(plain, host.bus.config.stream)).includes("to nobody"));
  });

  test("seal: a foreign client with only @nats-io/nkeys opens natter's sealed answer, and natter opens what it sealed", async () => {
    const bobKey = (await bobRecord()).sealKey as string | undefined;
    assert.match(bobKey ?? "", /^X/);
    const me = createCurve();
    const box = me.seal(new TextEncoder().encode(JSON.stringify({ content: `foreign ${SECRET}`, metadata: {} })), bobKey!);
    const request = {
      id: `foreign${Date.now()}`,
      type: "request",
      from: "foreigner",
      to: "Bob",
      content: "",
      metadata: {},
      timestamp: new Date().toISOString(),
      sealed: { by: me.getPublicKey(), box: Buffer.from(box).toString("base64") },
    };
    const reply = await plain.request("agents.request.Bob", JSON.stringify(request), { timeout: 5000 });
    const answer = JSON.parse(new TextDecoder().decode(reply.data)) as { content: string; sealed: { by: string; box: string } };
    assert.equal(answer.content, "");
    assert.equal(answer.sealed.by, bobKey);
    const opened = JSON.parse(new TextDecoder().decode(me.open(Buffer.from(answer.sealed.box, "base64"), answer.sealed.by)!)) as { content: string };
    assert.equal(opened.content, `Bob answers foreign ${SECRET}`);
  });

  test("seal: tampered or wrongly keyed mail is never handled: dead-lettered with the reason, its sender told sealed_unreadable", async () => {
    const bobKey = (await bobRecord()).sealKey as string;
    const me = createCurve();
    const body = new TextEncoder().encode(JSON.stringify({ content: "tampered", metadata: {} }));
    const tampered = Buffer.from(me.seal(body, bobKey));
    tampered[tampered.length - 1]! ^= 1;
    const wrongKey = Buffer.from(me.seal(body, createCurve().getPublicKey()));
    const handledBefore = bobGot.length;
    for (const [label, box] of [["tampered", tampered], ["wrongkey", wrongKey]] as const) {
      const id = `${label}${Date.now()}`;
      const envelope = { id, type: "direct", from: "mallory", to: "Bob", content: "", metadata: {}, timestamp: new Date().toISOString(), sealed: { by: me.getPublicKey(), box: box.toString("base64") } };
      await js.publish("agents.direct.Bob", JSON.stringify(envelope), { msgID: id });
      const dead = await eventually(`${label}: dead letter`, () => jetstreamManager(plain).then((m) => m.streams.getMessage(host.bus.config.stream, { last_by_subj: "agents.dlq.Bob" })).then((m) => (m && m.json<{ id: string }>().id === id ? m : undefined), () => undefined));
      assert.match(dead.header.get("Natter-Error") ?? "", /cannot be opened/);
      const notice = await eventually(`${label}: notice to mallory`, () => jetstreamManager(plain).then((m) => m.streams.getMessage(host.bus.config.stream, { last_by_subj: "agents.direct.mallory" })).then((m) => (m && m.json<Envelope>().inReplyTo === id ? m.json<Envelope>() : undefined), () => undefined));
      assert.equal((notice.metadata["error"] as { code: string }).code, "sealed_unreadable");
    }
    assert.equal(bobGot.length, handledBefore, "Bob handled nothing it could not open");
    // A request sealed for another key is answered with the error, not handled.
    const request = { id: `badreq${Date.now()}`, type: "request", from: "mallory", to: "Bob", content: "", metadata: {}, timestamp: new Date().toISOString(), sealed: { by: me.getPublicKey(), box: wrongKey.toString("base64") } };
    const reply = await plain.request("agents.request.Bob", JSON.stringify(request), { timeout: 5000 });
    assert.equal(reply.headers?.get("Natter-Error-Code"), "sealed_unreadable");
    assert.ok(lines.some((l) => l.includes("message.sealed_unreadable")), "logged");
  });

  test("seal: a rogue registry write that swaps Bob's key is refused, by a sender that pinned the key and by a new one that pins Bob's identity key", async () => {
    const kv = await new Kvm(plain).open(host.bus.config.registryBucket);
    const real = await bobRecord();
    // The rogue vouches for its own curve key with its own identity key: a well-formed record.
    const rogueId = createUser();
    const rogueCurve = createCurve();
    const statement = new TextEncoder().encode(`natter-seal-key\nBob\n${rogueCurve.getPublicKey()}`);
    const rogue = { ...real, instanceId: "rogue", sealKey: rogueCurve.getPublicKey(), sealKeySigner: rogueId.getPublicKey(), sealKeySig: Buffer.from(rogueId.sign(statement)).toString("base64url"), publicKey: rogueId.getPublicKey() };
    await kv.put("Bob.rogue", JSON.stringify(rogue));
    // Past the pinned key's refresh interval, a send (still sealed to the pinned key) starts a re-read; from then on
    // every send to Bob fails.
    await new Promise((r) => setTimeout(r, 1100));
    const refusal = await eventually("the swap noticed", () => client.sendDirectMessage("Bob", "probe").then(() => undefined, (err: unknown) => err));
    assert.ok(refusal instanceof NatterError && refusal.code === "seal_key_changed", String(refusal));
    await assert.rejects(client.sendDirectMessage("Bob", `after swap ${SECRET}`), (err: unknown) => err instanceof NatterError && err.code === "seal_key_changed");
    // Only the rogue's key left: the sender that pinned Bob's first key still refuses.
    await kv.delete(`Bob.${String(real["instanceId"])}`);
    await assert.rejects(client.requestFromAgent("Bob", `after swap ${SECRET}`), (err: unknown) => err instanceof NatterError && err.code === "seal_key_changed");
    // A new sender that pins Bob's identity key (NATTER_TRUSTED_KEYS) refuses a seal key vouched for by any other.
    const dir = mkdtempSync(join(tmpdir(), "natter-seal-"));
    const trusted = join(dir, "trusted-keys.json");
    writeFileSync(trusted, JSON.stringify({ Bob: real["sealKeySigner"] }));
    const fresh = await connectClient({ name: "fresh", config: loadConfig({ NATS_URL: srv.url, NATTER_SEAL: "direct", NATTER_VERIFY: "enforce", NATTER_TRUSTED_KEYS: trusted }), logger: createLogger({ level: "silent" }) });
    try {
      await assert.rejects(fresh.sendDirectMessage("Bob", `after swap ${SECRET}`), (err: unknown) => err instanceof NatterError && err.code === "recipient_has_no_seal_key" && /not a known key/.test(err.message));
    } finally {
      await fresh.close();
      await kv.delete("Bob.rogue");
      await kv.put(`Bob.${String(real["instanceId"])}`, JSON.stringify(real));
    }
    assert.ok(!(await storedText(plain, host.bus.config.stream)).includes("after swap"));
    assert.ok(!bobGot.some((m) => m.content.includes("after swap")));
  });
});
