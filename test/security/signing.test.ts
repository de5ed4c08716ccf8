import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { createUser } from "@nats-io/nkeys";
import { connect, headers as natsHeaders, type NatsConnection } from "@nats-io/transport-node";
import { jetstream, type JetStreamClient } from "@nats-io/jetstream";
import { defineAgent } from "../../src/agent/define.ts";
import { startHost, type Host } from "../../src/agent/host.ts";
import { loadConfig } from "../../src/config/config.ts";
import { createLogger } from "../../src/logger.ts";
import { createEnvelope, encodeEnvelope, type Envelope } from "../../src/protocol/envelope.ts";
import { HEADERS } from "../../src/protocol/headers.ts";
import { ALL_SUBJECT, directSubject, requestSubject, responseSubject } from "../../src/protocol/subjects.ts";
import { createSigner, SIGNATURE_HEADERS } from "../../src/security/identity.ts";
import { interpretResponse } from "../../src/rpc/call.ts";
import { startServer, type TestServer } from "../helpers/nats-server.ts";

/** A plain connection that is not natter: what a rogue process on the bus would use. */
async function rogue(url: string): Promise<{ nc: NatsConnection; js: JetStreamClient }> {
  const nc = await connect({ servers: url });
  return { nc, js: jetstream(nc) };
}

function recorder(name: string, got: Envelope[], broadcasts: Envelope[]) {
  return defineAgent({
    name,
    onMessage: (m) => {
      got.push(m);
    },
    onRequest: (r) => `${name} answers ${r.content}`,
    onBroadcast: (b) => {
      broadcasts.push(b);
    },
  });
}

describe("security: signed messages", () => {
  let srv: TestServer;
  let host: Host;
  let warnHost: Host;
  let bad: { nc: NatsConnection; js: JetStreamClient };
  const lines: string[] = [];
  const aliceGot: Envelope[] = [];
  const aliceHeard: Envelope[] = [];
  const carolGot: Envelope[] = [];

  before(async () => {
    srv = await startServer();
    const base = { NATS_URL: srv.url, NATTER_HEARTBEAT_MS: "60000", NATTER_REPLAY_WINDOW_MS: "1000" };
    const logger = createLogger({ level: "warn", format: "json", write: (l) => lines.push(l) });
    host = await startHost({ agents: [recorder("Alice", aliceGot, aliceHeard), defineAgent({ name: "Bob" })], config: loadConfig({ ...base, NATTER_VERIFY: "enforce" }), logger });
    warnHost = await startHost({ agents: [recorder("Carol", carolGot, [])], config: loadConfig({ ...base, NATTER_VERIFY: "warn" }), logger });
    bad = await rogue(srv.url);
  });
  after(async () => {
    await bad?.nc.close();
    await warnHost?.stop();
    await host?.stop();
    await srv?.dispose();
  });

  const bob = () => host.agents.find((r) => r.name === "Bob")!;
  const forged = (to: string, content: string, type: "direct" | "request" | "broadcast" = "direct") =>
    createEnvelope({ type, from: "Bob", ...(type === "broadcast" ? {} : { to }), content });

  test("signing: a registered sender's signed messages are delivered and carry its registry key", async () => {
    const entry = await host.bus.registry.get(`Bob.${bob().instanceId}`);
    const key = JSON.parse(entry!.string()).publicKey as string;
    assert.match(key, /^U[A-Z2-7]{55}$/);
    const sent = await bob().context.sendDirectMessage("Alice", "genuine");
    await waitFor(() => aliceGot.some((m) => m.id === sent.envelope.id));
    const stored = (await host.bus.jsm.streams.getMessage(host.bus.config.stream, { seq: sent.seq }))!;
    assert.equal(stored.header.get(SIGNATURE_HEADERS.signer), key);
    assert.equal((await bob().context.requestFromAgent("Alice", "q")).content, "Alice answers q");
  });

  test("signing: unsigned, wrongly signed and tampered mailbox messages are terminated and logged", async () => {
    const unsigned = forged("Alice", "unsigned, claims Bob");
    await bad.js.publish(directSubject("Alice"), encodeEnvelope(unsigned), { msgID: unsigned.id });
    const stranger = forged("Alice", "signed by a key Bob never registered");
    const strangerData = encodeEnvelope(stranger);
    await bad.js.publish(directSubject("Alice"), strangerData, { msgID: stranger.id, headers: createSigner(createUser()).sign(strangerData) });
    // Bob's real signature over one message, attached to different bytes.
    const original = encodeEnvelope(forged("Alice", "original"));
    const tampered = forged("Alice", "tampered");
    await bad.js.publish(directSubject("Alice"), encodeEnvelope(tampered), { msgID: tampered.id, headers: bob().signer!.sign(original) });
    const rejected = (id: string, why: RegExp) => lines.some((l) => l.includes("verify.rejected") && l.includes(id) && why.test(l));
    await waitFor(() => rejected(unsigned.id, /unsigned/) && rejected(stranger.id, /not a registered key of/) && rejected(tampered.id, /does not match/));
    await sleep(200);
    for (const e of [unsigned, stranger, tampered]) assert.ok(!aliceGot.some((m) => m.id === e.id), `${e.content} must not reach the handler`);
    const consumer = await host.bus.jsm.consumers.info(host.bus.config.stream, "Alice");
    assert.equal(consumer.num_ack_pending + consumer.num_pending, 0, "rejected messages are terminated, not redelivered");
  });

  test("signing: a replayed mailbox message is refused by de-duplication, then by the timestamp window", async () => {
    const sent = await bob().context.sendDirectMessage("Alice", "pay once");
    await waitFor(() => aliceGot.some((m) => m.id === sent.envelope.id));
    const stored = (await host.bus.jsm.streams.getMessage(host.bus.config.stream, { seq: sent.seq }))!;
    const again = await bad.js.publish(directSubject("Alice"), stored.data, { msgID: sent.envelope.id, headers: stored.header });
    assert.equal(again.duplicate, true, "inside the duplicate window JetStream drops it");
    await sleep(1500);
    const h = natsHeaders();
    for (const k of [SIGNATURE_HEADERS.signature, SIGNATURE_HEADERS.signer]) h.set(k, stored.header.get(k));
    await bad.js.publish(directSubject("Alice"), stored.data, { msgID: `replay-${sent.envelope.id}`, headers: h });
    await waitFor(() => lines.some((l) => l.includes("verify.rejected") && l.includes(sent.envelope.id) && /outside the 1000 ms window/.test(l)));
    assert.equal(aliceGot.filter((m) => m.id === sent.envelope.id).length, 1);
  });

  test("signing: forged and replayed requests get an error answer; the handler never runs", async () => {
    const ask = async (data: Uint8Array, h?: ReturnType<typeof natsHeaders>) => {
      const id = `r${Date.now()}${Math.random().toString(36).slice(2, 8)}`;
      const sub = bad.nc.subscribe(responseSubject("Bob", id), { max: 1 });
      bad.nc.publish(requestSubject("Alice"), data, { reply: responseSubject("Bob", id), ...(h ? { headers: h } : {}) });
      for await (const m of sub) return interpretResponse("Alice", m);
      throw new Error("no answer");
    };
    const unsigned = await ask(encodeEnvelope(forged("Alice", "q", "request")));
    assert.ok(unsigned instanceof Error && "code" in unsigned);
    assert.equal(unsigned.code, "unverified");
    assert.match(unsigned.message, /unsigned/);
    const genuine = encodeEnvelope(forged("Alice", "q2", "request"));
    const signature = bob().signer!.sign(genuine);
    const first = await ask(genuine, signature);
    assert.ok(!(first instanceof Error), String(first));
    assert.equal(first.content, "Alice answers q2");
    const replay = await ask(genuine, signature);
    assert.ok(replay instanceof Error && "code" in replay);
    assert.equal(replay.code, "unverified");
    assert.match(replay.message, /replayed/);
  });

  test("signing: a forged broadcast is not delivered; a signed one is", async () => {
    const fake = forged("", "fake news", "broadcast");
    await bad.js.publish(ALL_SUBJECT, encodeEnvelope(fake), { msgID: fake.id });
    const real = await bob().context.broadcastMessage("real news");
    await waitFor(() => aliceHeard.some((m) => m.id === real.envelope.id));
    await waitFor(() => lines.some((l) => l.includes("broadcast.rejected") && l.includes(fake.id)));
    assert.ok(!aliceHeard.some((m) => m.id === fake.id));
  });

  test("signing: in warn mode a forged message is logged and still delivered", async () => {
    const unsigned = forged("Carol", "unsigned to a warn-mode agent");
    await bad.js.publish(directSubject("Carol"), encodeEnvelope(unsigned), { msgID: unsigned.id });
    await waitFor(() => carolGot.some((m) => m.id === unsigned.id));
    assert.ok(lines.some((l) => l.includes("verify.failed") && l.includes(unsigned.id)));
  });

  test("signing: off by default: no signature headers and no public key in the registry", async () => {
    const plain = await startServer();
    const plainSrvHost = await startHost({ agents: [defineAgent({ name: "Dave" })], config: loadConfig({ NATS_URL: plain.url, NATTER_LOG_LEVEL: "silent" }) });
    try {
      const dave = plainSrvHost.agents[0]!;
      assert.equal(dave.signer, undefined);
      const entry = await plainSrvHost.bus.registry.get(`Dave.${dave.instanceId}`);
      assert.equal(JSON.parse(entry!.string()).publicKey, undefined);
      const sent = await dave.context.sendDirectMessage("Nobody", "plain");
      const stored = (await plainSrvHost.bus.jsm.streams.getMessage("AGENTS", { seq: sent.seq }))!;
      assert.deepEqual([...stored.header.keys()], [HEADERS.msgId]);
    } finally {
      await plainSrvHost.stop();
      await plain.dispose();
    }
  });
});

async function waitFor(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await sleep(20);
  }
}
