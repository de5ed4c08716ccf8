import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { defineAgent } from "../../src/agent/define.ts";
import { startHost, type Host } from "../../src/agent/host.ts";
import { connectClient, type Client } from "../../src/agent/client.ts";
import { loadConfig, type Config } from "../../src/config/config.ts";
import { NatterError } from "../../src/errors.ts";
import { ensureMailboxConsumer } from "../../src/mailbox/consumer.ts";
import { publishEnvelope } from "../../src/mailbox/send.ts";
import { createEnvelope, type Envelope } from "../../src/protocol/envelope.ts";
import { directSubject, handoffSubject } from "../../src/protocol/subjects.ts";
import { generateAuth, type GeneratedAuth } from "../../src/security/generate.ts";
import { openBus, type Bus } from "../../src/transport/bus.ts";
import { startServer, type TestServer } from "../helpers/nats-server.ts";
import { secretsDir, type SecretsDir } from "../helpers/secrets.ts";

const PERMISSION = /permissions? violation/i;

function makeAgent(name: string, inbox: Envelope[]) {
  return defineAgent({
    name,
    onRequest: (req) => `${name}: ${req.content}`,
    onMessage: (msg) => {
      inbox.push(msg);
      return "ok";
    },
  });
}

describe("security: per-agent permissions", () => {
  let secrets: SecretsDir;
  let srv: TestServer;
  let auth: GeneratedAuth;
  let config: Config;
  let admin: Bus;
  let host: Host;
  let tester: Client;
  let alice: Bus;
  const aliceInbox: Envelope[] = [];
  const bobInbox: Envelope[] = [];

  before(async () => {
    secrets = secretsDir();
    auth = generateAuth({ agents: ["Alice", "Bob", "tester"], dir: secrets.dir });
    srv = await startServer({ extraConfig: readFileSync(auth.confFile, "utf8") });
    const base = { NATS_URL: srv.url, NATTER_LOG_LEVEL: "silent", NATTER_REQUEST_TIMEOUT_MS: "3000" };
    // Only the admin user may create streams; agents' users can not.
    admin = await openBus(loadConfig({ ...base, NATS_NKEY: auth.seedFiles.admin! }));
    // The full secure setup: own users, signatures enforced against the keys `natter auth` pinned.
    config = loadConfig({ ...base, NATTER_CREDENTIALS_DIR: secrets.dir, NATTER_VERIFY: "enforce", NATTER_TRUSTED_KEYS: auth.trustedKeysFile });
    host = await startHost({ agents: [makeAgent("Alice", aliceInbox), makeAgent("Bob", bobInbox)], config });
    tester = await connectClient({ name: "tester", config });
    alice = host.agents.find((r) => r.name === "Alice")!.bus;
  });
  after(async () => {
    await tester?.close();
    await host?.stop();
    await admin?.close();
    await srv?.dispose();
    secrets?.dispose();
  });

  test("permissions: agents with their own users serve requests and receive direct messages", async () => {
    const bob = host.agents.find((r) => r.name === "Bob")!;
    assert.notEqual(alice, bob.bus, "each agent has its own connection");
    assert.equal(bob.signer?.publicKey, auth.publicKeys.Bob, "an agent signs with its connection's NKey");
    assert.equal((await tester.requestFromAgent("Alice", "hi")).content, "Alice: hi");
    assert.equal((await tester.requestFromAgent("Bob", "hi")).content, "Bob: hi");
    await tester.sendDirectMessage("Bob", "for bob only");
    await waitFor(() => bobInbox.some((m) => m.content === "for bob only"));
  });

  test("permissions: agents seal with the curve keys `natter auth` wrote, vouched for by their pinned identity keys", async () => {
    assert.match(auth.sealKeys.Bob ?? "", /^X[A-Z2-7]{55}$/);
    assert.equal(host.agents.find((r) => r.name === "Bob")!.sealing.key.publicKey, auth.sealKeys.Bob);
    const answer = await tester.requestFromAgent("Bob", "sealed hi", { seal: true });
    assert.equal(answer.content, "Bob: sealed hi");
    await tester.sendDirectMessage("Bob", "sealed for bob", { metadata: {}, seal: true });
    await waitFor(() => bobInbox.some((m) => m.content === "sealed for bob"));
  });

  test("permissions: an agent cannot read another's direct messages", async () => {
    await assert.rejects(alice.js.consumers.get(config.stream, "Bob"), PERMISSION);
    await assert.rejects(ensureMailboxConsumer(alice.jsm, { stream: config.stream, agent: "Bob", ackWaitMs: 30_000, maxAckPending: 10 }), PERMISSION);
    // Its own consumer name with Bob's filter is refused too: the create subject carries the filter.
    await assert.rejects(
      alice.jsm.consumers.add(config.stream, { durable_name: "Alice", filter_subject: directSubject("Bob"), ack_policy: "explicit" as never }),
      PERMISSION,
    );
    const sniff = alice.nc.subscribe(directSubject("Bob"));
    const heard: string[] = [];
    void (async () => {
      for await (const m of sniff) heard.push(m.string());
    })().catch(() => undefined);
    const closedWith = await sniff.closed;
    assert.match(String(closedWith), PERMISSION);
    await tester.sendDirectMessage("Bob", "secret for bob");
    await waitFor(() => bobInbox.some((m) => m.content === "secret for bob"));
    assert.deepEqual(heard, []);
    assert.ok(!aliceInbox.some((m) => m.content === "secret for bob"));
  });

  test("permissions: an agent cannot answer another's requests", async () => {
    const impostor = alice.nc.subscribe("agents.request.Bob", {
      queue: "Bob",
      callback: (e, m) => {
        if (!e) m.respond("Alice pretending");
      },
    });
    assert.match(String(await impostor.closed), PERMISSION);
    for (let i = 0; i < 10; i++) assert.equal((await tester.requestFromAgent("Bob", `q${i}`)).content, `Bob: q${i}`);
  });

  test("permissions: an agent cannot overwrite another's registry entry", async () => {
    const bob = host.agents.find((r) => r.name === "Bob")!;
    const key = `Bob.${bob.instanceId}`;
    await assert.rejects(alice.registry.put(key, JSON.stringify({ name: "Bob", instanceId: bob.instanceId, status: "offline" })), PERMISSION);
    await assert.rejects(alice.registry.delete(key), PERMISSION);
    const entry = await admin.registry.get(key);
    assert.equal(JSON.parse(entry!.string()).status, "available");
  });

  test("permissions: an agent cannot publish on another's handoff subject, even claiming to be it", async () => {
    const forged = createEnvelope({ type: "handoff", from: "Bob", to: "Alice", content: "forged" });
    await assert.rejects(publishEnvelope(alice.js, handoffSubject("Bob", "Alice"), forged, { maxMessageBytes: 1 << 20, timeoutMs: 3000 }), (err: unknown) => {
      assert.ok(err instanceof NatterError);
      assert.equal(err.code, "permission_denied");
      assert.match(err.message, /Permissions Violation for Publish to "agents\.handoff\.Bob\.to\.Alice"/);
      return true;
    });
    const info = await admin.jsm.streams.info(config.stream, { subjects_filter: "agents.handoff.Bob.>" });
    assert.equal(Object.keys(info.state.subjects ?? {}).length, 0, "nothing was stored on Bob's handoff subject");
  });

  test("permissions: a direct message an agent forges in another's name is refused by the receiver's signature check", async () => {
    const aliceRuntime = host.agents.find((r) => r.name === "Alice")!;
    const forgedEnvelope = createEnvelope({ type: "direct", from: "tester", to: "Bob", content: "forged by alice" });
    // Anyone may publish to a mailbox subject, so the server lets this through; Bob's verifier must not.
    await publishEnvelope(alice.js, directSubject("Bob"), forgedEnvelope, { maxMessageBytes: 1 << 20, timeoutMs: 3000, sign: aliceRuntime.signer!.sign });
    await tester.sendDirectMessage("Bob", "genuine after the forgery");
    await waitFor(() => bobInbox.some((m) => m.content === "genuine after the forgery"));
    await sleep(300);
    assert.ok(!bobInbox.some((m) => m.id === forgedEnvelope.id));
  });

  test("permissions: after every refused attempt the agent keeps working", async () => {
    assert.equal(alice.nc.isClosed(), false);
    assert.equal((await tester.requestFromAgent("Alice", "still there?")).content, "Alice: still there?");
    await tester.handoffToAgent("Alice", "a real handoff");
    await waitFor(() => aliceInbox.some((m) => m.content === "a real handoff"));
    const aliceCtx = host.agents.find((r) => r.name === "Alice")!.context;
    await aliceCtx.handoffToAgent("Bob", "from alice, as alice");
    await waitFor(() => bobInbox.some((m) => m.content === "from alice, as alice"));
    assert.equal((await aliceCtx.requestFromAgent("Bob", "ping")).content, "Bob: ping");
    assert.ok((await aliceCtx.listAgents()).some((a) => a.name === "Bob"), "the registry stays readable");
  });
});

async function waitFor(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await sleep(20);
  }
}
