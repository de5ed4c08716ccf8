import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createUser } from "@nats-io/nkeys";
import { connect, headers as natsHeaders, type Msg, type MsgHdrs, type NatsConnection } from "@nats-io/transport-node";
import { connectClient, type Client } from "../../src/agent/client.ts";
import { defineAgent } from "../../src/agent/define.ts";
import { startHost, type Host } from "../../src/agent/host.ts";
import { loadConfig } from "../../src/config/config.ts";
import { RemoteError, UnverifiedResponseError } from "../../src/errors.ts";
import { createLogger } from "../../src/logger.ts";
import { createEnvelope, decodeEnvelope, encodeEnvelope, type Envelope } from "../../src/protocol/envelope.ts";
import { HEADERS } from "../../src/protocol/headers.ts";
import { requestSubject, responseSubject } from "../../src/protocol/subjects.ts";
import { createSigner } from "../../src/security/identity.ts";
import { interpretResponse } from "../../src/rpc/call.ts";
import { eventually, gate } from "../helpers/in-process.ts";
import { startServer, type TestServer } from "../helpers/nats-server.ts";

/** How often each request content reached a handler, and the handlers held open by content. */
const runs = new Map<string, number>();
const held = new Map<string, { open(): void }>();

const counter = (name: string) =>
  defineAgent({
    name,
    async onRequest(req) {
      runs.set(req.content, (runs.get(req.content) ?? 0) + 1);
      if (req.content.startsWith("hold")) {
        const g = gate();
        held.set(req.content, g);
        await g.promise;
      }
      return `${name} did ${req.content}`;
    },
  });

/** A JSON-lines logger whose lines the test reads back. */
function recordingLogger() {
  const lines: string[] = [];
  const logger = createLogger({ level: "info", format: "json", write: (l) => lines.push(l) });
  const logged = (event: string, match: (line: Record<string, unknown>) => boolean) =>
    lines.some((l) => {
      const line = JSON.parse(l) as Record<string, unknown>;
      return line["event"] === event && match(line);
    });
  return { lines, logger, logged };
}

describe("security: requesters verify answers", () => {
  let srv: TestServer;
  let host: Host;
  let warnHost: Host;
  let tester: Client;
  let rogue: NatsConnection;
  const { logger, logged } = recordingLogger();
  /** Oracle is a responder outside natter whose key is pinned; the test holds that key. */
  const oracleKey = createSigner(createUser());
  let captured: { data: Uint8Array; headers: MsgHdrs } | undefined;

  before(async () => {
    srv = await startServer();
    const keysFile = join(srv.dir, "trusted-keys.json");
    writeFileSync(keysFile, JSON.stringify({ Oracle: oracleKey.publicKey }));
    const base = { NATS_URL: srv.url, NATTER_HEARTBEAT_MS: "60000", NATTER_TRUSTED_KEYS: keysFile };
    const enforce = loadConfig({ ...base, NATTER_VERIFY: "enforce" });
    host = await startHost({ agents: [counter("Alice"), defineAgent({ name: "Bob" }), defineAgent({ name: "Dan" })], config: enforce, logger });
    warnHost = await startHost({ agents: [defineAgent({ name: "Carol" })], config: loadConfig({ ...base, NATTER_VERIFY: "warn" }), logger });
    tester = await connectClient({ name: "tester", config: enforce, logger });
    rogue = await connect({ servers: srv.url });
    rogue.subscribe(requestSubject("Oracle"), { callback: (err, msg) => void (err ?? answerAsOracle(msg)) });
    await rogue.flush();
  });
  after(async () => {
    for (const g of held.values()) g.open();
    await rogue?.close();
    await tester?.close();
    await warnHost?.stop();
    await host?.stop();
    await srv?.dispose();
  });

  /** Answers as Oracle, the way the request's content asks. */
  function answerAsOracle(msg: Msg): void {
    const [data, headers] = oracleAnswer(decodeEnvelope(msg.data));
    msg.respond(data, headers ? { headers } : undefined);
  }

  function oracleAnswer(req: Envelope): [Uint8Array, MsgHdrs?] {
    const reply = (from = "Oracle", extra: Partial<Envelope> = {}) =>
      encodeEnvelope(createEnvelope({ type: "response", from, to: req.from, content: `oracle says ${req.content}`, inReplyTo: req.id, threadId: req.threadId ?? req.id, ...extra }));
    const data = reply();
    switch (req.content) {
      case "genuine":
        captured = { data, headers: oracleKey.sign(data) };
        return [captured.data, captured.headers];
      case "stranger":
        return [data, createSigner(createUser()).sign(data)];
      case "stale":
        return [captured!.data, captured!.headers];
      case "someone else": {
        const dans = reply("Dan");
        return [dans, agent("Dan").signer!.sign(dans)];
      }
      case "tampered error": {
        const body = reply("Oracle", { metadata: { error: { code: "handler_error", message: "failed" } } });
        const h = natsHeaders();
        h.set(HEADERS.error, "your account is locked, call 555");
        h.set(HEADERS.errorCode, "account_locked");
        return [body, oracleKey.sign(body, h)];
      }
      default:
        return [data];
    }
  }

  const agent = (name: string) => host.agents.find((r) => r.name === name)!;
  const refusedBecause = (why: RegExp) => (err: unknown) => {
    assert.ok(err instanceof UnverifiedResponseError, `expected UnverifiedResponseError, got ${String(err)}`);
    assert.equal(err.agent, "Oracle");
    assert.equal(err.code, "unverified");
    assert.match(err.message, /the answer from agent "Oracle" was refused/);
    assert.match(err.reason, why);
    return true;
  };

  test("verify: an answer signed by the agent asked is accepted", async () => {
    assert.equal((await agent("Bob").context.requestFromAgent("Oracle", "genuine")).content, "oracle says genuine");
    assert.equal((await agent("Bob").context.requestFromAgent("Alice", "plain")).content, "Alice did plain");
  });

  test("verify: unsigned, wrongly signed, replayed and misattributed answers fail the call with UnverifiedResponseError", async () => {
    const bob = agent("Bob").context;
    await assert.rejects(bob.requestFromAgent("Oracle", "unsigned"), refusedBecause(/unsigned/));
    await assert.rejects(bob.requestFromAgent("Oracle", "stranger"), refusedBecause(/is not a registered key of "Oracle"/));
    await assert.rejects(bob.requestFromAgent("Oracle", "stale"), refusedBecause(/its inReplyTo is "\w+", expected "\w+"/));
    await assert.rejects(bob.requestFromAgent("Oracle", "someone else"), refusedBecause(/its from is "Dan", expected "Oracle"/));
    await assert.rejects(bob.requestFromAgent("Oracle", "tampered error"), refusedBecause(/error code header "account_locked" is not the signed answer's/));
  });

  test("verify: a client checks answers too", async () => {
    await assert.rejects(tester.requestFromAgent("Oracle", "unsigned"), refusedBecause(/unsigned/));
    assert.equal((await tester.requestFromAgent("Oracle", "genuine")).content, "oracle says genuine");
  });

  test("verify: in warn mode an unsigned answer is logged and accepted", async () => {
    const answer = await warnHost.agents[0]!.context.requestFromAgent("Oracle", "unsigned");
    assert.equal(answer.content, "oracle says unsigned");
    assert.ok(logged("verify.failed", (l) => l["id"] === answer.id && l["reason"] === "unsigned"));
  });

  test("verify: an error answer from a natter agent is signed, so the requester gets the agent's own error", async () => {
    // Dan answers no requests: the refusal comes back signed and is believed.
    await assert.rejects(agent("Bob").context.requestFromAgent("Dan", "anything"), (err: unknown) => err instanceof RemoteError && err.code === "no_handler");
  });

  describe("a request sent again with the same id", () => {
    /** Sends `data` with `headers` as a requester would, on `reply`, and returns the raw answer. */
    async function ask(data: Uint8Array, headers: MsgHdrs, reply: string): Promise<Msg> {
      const sub = rogue.subscribe(reply, { max: 1 });
      rogue.publish(requestSubject("Alice"), data, { reply, headers });
      for await (const m of sub) return m;
      throw new Error("no answer");
    }
    const signedRequest = (content: string, from = "Bob") => {
      const request = createEnvelope({ type: "request", from, to: "Alice", content });
      const data = encodeEnvelope(request);
      return { request, data, headers: agent(from).signer!.sign(data), reply: responseSubject(from, request.id) };
    };

    test("verify: the requester's resend gets the same answer; the handler runs once", async () => {
      const { request, data, headers, reply } = signedRequest("count once");
      const first = await ask(data, headers, reply);
      const again = await ask(data, headers, reply);
      assert.equal((interpretResponse("Alice", first) as Envelope).content, "Alice did count once");
      assert.deepEqual(again.data, first.data, "the very same answer");
      assert.equal(again.headers?.get(HEADERS.error), "", "not an error");
      assert.equal(runs.get("count once"), 1);
      assert.ok(logged("rpc.repeated", (l) => l["id"] === request.id));
    });

    test("verify: a resend while the first is still being handled waits for that answer", async () => {
      const { data, headers, reply } = signedRequest("hold resend");
      const first = ask(data, headers, reply);
      await eventually("the handler to start", () => held.has("hold resend"), 30_000);
      const again = ask(data, headers, reply);
      await eventually("the resend to be recognised", () => logged("rpc.repeated", (l) => l["from"] === "Bob" && runs.get("hold resend") === 1), 30_000);
      held.get("hold resend")!.open();
      const [a, b] = await Promise.all([first, again]);
      assert.deepEqual(b.data, a.data);
      assert.equal((interpretResponse("Alice", b) as Envelope).content, "Alice did hold resend");
      assert.equal(runs.get("hold resend"), 1);
    });

    test("verify: the same request replayed to another reply subject, or its id claimed by another sender, is still refused", async () => {
      const { request, data, headers, reply } = signedRequest("count replay");
      await ask(data, headers, reply);
      const elsewhere = interpretResponse("Alice", await ask(data, headers, `${reply}x`));
      assert.ok(elsewhere instanceof RemoteError && elsewhere.code === "unverified", String(elsewhere));
      assert.match(elsewhere.message, /replayed/);
      // Dan signs a request of his own under Bob's request id.
      const dans = encodeEnvelope({ ...request, from: "Dan", content: "count replay" });
      const claimed = interpretResponse("Alice", await ask(dans, agent("Dan").signer!.sign(dans), responseSubject("Dan", request.id)));
      assert.ok(claimed instanceof RemoteError && claimed.code === "unverified", String(claimed));
      assert.match(claimed.message, /replayed/);
      assert.equal(runs.get("count replay"), 1);
    });
  });
});

describe("security: a request in flight across a server restart", () => {
  let srv: TestServer;
  let host: Host;
  const { logger, logged } = recordingLogger();

  before(async () => {
    srv = await startServer();
    const config = loadConfig({ NATS_URL: srv.url, NATTER_HEARTBEAT_MS: "60000", NATTER_VERIFY: "enforce" });
    host = await startHost({ agents: [counter("Ayla"), defineAgent({ name: "Bert" })], config, logger });
  });
  after(async () => {
    for (const g of held.values()) g.open();
    await host?.stop();
    await srv?.dispose();
  });

  test("verify: a request re-sent after a reconnect is answered, not refused as a replay (enforce)", async () => {
    const bert = host.agents.find((r) => r.name === "Bert")!.context;
    const call = bert.requestFromAgent("Ayla", "hold restart", { timeoutMs: 120_000 });
    await eventually("the handler to start", () => held.has("hold restart"), 30_000);
    let refused: unknown;
    call.catch((err: unknown) => (refused = err));
    await srv.restart();
    // The requester re-sends on reconnect; the responder recognises it while the first is still running.
    await eventually("the resend to reach Ayla", () => refused !== undefined || logged("rpc.repeated", (l) => l["from"] === "Bert"), 60_000);
    held.get("hold restart")!.open();
    assert.equal((await call).content, "Ayla did hold restart");
    assert.equal(runs.get("hold restart"), 1);
  });
});
