import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { headers as natsHeaders, type MsgHdrs } from "@nats-io/transport-node";
import { defineAgent } from "../../src/agent/define.ts";
import { startHost, type Host } from "../../src/agent/host.ts";
import { loadConfig, type Config } from "../../src/config/config.ts";
import { createLogger } from "../../src/logger.ts";
import { createEnvelope, decodeEnvelope, encodeEnvelope, type Envelope, type EnvelopeInput } from "../../src/protocol/envelope.ts";
import { ERROR_CODES, HEADERS } from "../../src/protocol/headers.ts";
import { directSubject, groupSubject, requestSubject } from "../../src/protocol/subjects.ts";
import { generateAuth, type GeneratedAuth } from "../../src/security/generate.ts";
import { SIGNATURE_HEADERS } from "../../src/security/identity.ts";
import { startVerifier, storedReadCheck } from "../../src/security/verify.ts";
import { readHistory } from "../../src/mailbox/progress.ts";
import { openBus, type Bus } from "../../src/transport/bus.ts";
import { eventually } from "../helpers/in-process.ts";
import { startServer, type TestServer } from "../helpers/nats-server.ts";
import { connectRogue, type Rogue } from "../helpers/rogue.ts";
import { secretsDir, type SecretsDir } from "../helpers/secrets.ts";

const LIMIT = 65_536;

/** A message as an attacker captured it: the exact bytes and the signature headers. */
interface Captured {
  data: Uint8Array;
  signature: string;
  signer: string;
}

describe("security: attacks on the secure deployment (natter auth users, enforce, pinned keys)", () => {
  let secrets: SecretsDir;
  let srv: TestServer;
  let auth: GeneratedAuth;
  let config: Config;
  let admin: Bus;
  let host: Host;
  let rogue: Rogue;
  const handled: Envelope[] = [];
  const heard: Envelope[] = [];
  const attempts = new Map<string, number>();
  const lines: string[] = [];
  const logger = createLogger({ level: "info", format: "json", write: (l) => lines.push(l) });

  const alice = () =>
    defineAgent({
      name: "Alice",
      groups: ["ops"],
      onMessage: (m) => {
        const n = (attempts.get(m.id) ?? 0) + 1;
        attempts.set(m.id, n);
        if (m.content === "flaky" && n === 1) throw new Error("fails the first time");
        handled.push(m);
      },
      onRequest: (r) => {
        handled.push(r);
        return "ok";
      },
      onGroupMessage: (m) => {
        heard.push(m);
      },
    });

  before(async () => {
    secrets = secretsDir();
    auth = generateAuth({ agents: ["Alice", "Bob", "Rogue"], dir: secrets.dir });
    srv = await startServer({ extraConfig: readFileSync(auth.confFile, "utf8") });
    const base = { NATS_URL: srv.url, NATTER_HEARTBEAT_MS: "60000", NATTER_REQUEST_TIMEOUT_MS: "5000", NATTER_RETRY_DELAYS_MS: "200" };
    admin = await openBus(loadConfig({ ...base, NATTER_LOG_LEVEL: "silent", NATTER_MAX_MESSAGE_BYTES: String(LIMIT), NATS_NKEY: auth.seedFiles.admin! }));
    config = loadConfig({
      ...base,
      NATTER_CREDENTIALS_DIR: secrets.dir,
      NATTER_VERIFY: "enforce",
      NATTER_TRUSTED_KEYS: auth.trustedKeysFile,
      NATTER_MAX_MESSAGE_BYTES: String(LIMIT),
      NATTER_RATE_LIMIT: "10",
      NATTER_RATE_BURST: "10",
    });
    host = await startHost({ agents: [alice(), defineAgent({ name: "Bob" })], config, logger });
    rogue = await connectRogue(srv.url, auth, "Rogue");
  });
  after(async () => {
    await rogue?.nc.close();
    await host?.stop();
    await admin?.close();
    await srv?.dispose();
    secrets?.dispose();
  });

  const bob = () => host.agents.find((r) => r.name === "Bob")!;
  const handledCount = (id: string) => handled.filter((m) => m.id === id).length;
  const logged = (event: string, id: string, why: RegExp) =>
    lines.some((l) => {
      const line = JSON.parse(l) as { event: string; id?: string; reason?: string };
      return line.event === event && line.id === id && why.test(line.reason ?? "");
    });
  const capture = async (seq: number): Promise<Captured> => {
    const stored = (await admin.jsm.streams.getMessage(config.stream, { seq }))!;
    return { data: stored.data, signature: stored.header.get(SIGNATURE_HEADERS.signature), signer: stored.header.get(SIGNATURE_HEADERS.signer) };
  };
  const withSignature = (c: Captured): MsgHdrs => {
    const h = natsHeaders();
    h.set(SIGNATURE_HEADERS.signature, c.signature);
    h.set(SIGNATURE_HEADERS.signer, c.signer);
    return h;
  };
  /** The rogue stores a copy of `c` in a mailbox: under a new Nats-Msg-Id, under none, or under the original's. */
  const replay = (subject: string, c: Captured, msgID: string | undefined) =>
    rogue.js.publish(subject, c.data, { headers: withSignature(c), ...(msgID !== undefined ? { msgID } : {}) });
  /** Mail the rogue signs as itself, padded to exactly `bytes` bytes. */
  const rogueMail = (input: Omit<EnvelopeInput, "content" | "from">, bytes: number): { envelope: Envelope; data: Uint8Array } => {
    const bare = encodeEnvelope(createEnvelope({ ...input, from: "Rogue", content: "" }));
    const envelope = createEnvelope({ ...input, from: "Rogue", content: "x".repeat(bytes - bare.length) });
    const data = encodeEnvelope(envelope);
    assert.equal(data.length, bytes);
    return { envelope, data };
  };

  test("replay: captured mail re-stored under a new id, under no id or under its own id is handled once; the copies are refused and logged", async () => {
    const sent = await bob().context.sendDirectMessage("Alice", "pay 100");
    await eventually("Alice handles the original", () => handledCount(sent.envelope.id) === 1, 20_000);
    const captured = await capture(sent.seq);
    const renamed = await replay(directSubject("Alice"), captured, "a-new-id");
    const unnamed = await replay(directSubject("Alice"), captured, undefined);
    const same = await replay(directSubject("Alice"), captured, sent.envelope.id);
    assert.ok(same.duplicate, "JetStream drops a copy under the original id");
    assert.ok(!renamed.duplicate && !unnamed.duplicate, "copies under other ids are stored");
    await eventually("both stored copies refused", () => lines.filter((l) => l.includes('"mailbox.rejected"') && l.includes(sent.envelope.id) && /Nats-Msg-Id/.test(l)).length === 2, 20_000);
    await sleep(300);
    assert.equal(handledCount(sent.envelope.id), 1, "handled once");
  });

  test("replay: a captured handoff re-stored under a new id is refused; a message that failed once is still redelivered and handled", async () => {
    const handoff = await bob().context.handoffToAgent("Alice", "take over");
    const flaky = await bob().context.sendDirectMessage("Alice", "flaky");
    await eventually("the handoff and the retried message are handled", () => handledCount(handoff.envelope.id) === 1 && handledCount(flaky.envelope.id) === 1, 20_000);
    assert.equal(attempts.get(flaky.envelope.id), 2, "the redelivery of the same stored message ran");
    await replay(directSubject("Alice"), await capture(handoff.seq), "handoff-copy");
    await eventually("the handoff copy refused", () => logged("mailbox.rejected", handoff.envelope.id, /Nats-Msg-Id/), 20_000);
    await sleep(300);
    assert.equal(handledCount(handoff.envelope.id), 1);
  });

  test("replay: a captured group post re-published under a new id reaches no member again", async () => {
    const post = await bob().context.postToGroup("ops", "deploy now");
    await eventually("Alice hears the post", () => heard.some((m) => m.id === post.envelope.id), 20_000);
    const captured = await capture(post.seq);
    await replay(groupSubject("ops"), captured, "group-copy");
    await eventually("the copy refused", () => logged("group.rejected", post.envelope.id, /already received/), 20_000);
    assert.equal(heard.filter((m) => m.id === post.envelope.id).length, 1);
    // Agent users may not read history (docs/security.md); an admin reader checks what it reads as agents do.
    const verifier = (await startVerifier(admin.registry, config, logger))!;
    const history = await readHistory(admin.js, config.stream, groupSubject("ops"), 50, logger, storedReadCheck(verifier, {}));
    verifier.stop();
    assert.equal(history.filter((m) => m.id === post.envelope.id).length, 1, "the history holds it once");
  });

  test("replay: after Alice's host restarts, captured mail and a captured request are still refused", async () => {
    const sent = await bob().context.sendDirectMessage("Alice", "before the restart");
    const request = createEnvelope({ type: "request", from: "Rogue", to: "Alice", content: "run twice?" });
    const requestData = encodeEnvelope(request);
    const requestHeaders = rogue.signer.sign(requestData);
    const first = await rogue.nc.request(requestSubject("Alice"), requestData, { timeout: 5000, headers: requestHeaders });
    assert.equal(first.headers?.get(HEADERS.errorCode) ?? "", "", "the genuine request is answered");
    await eventually("Alice handles the mail", () => handledCount(sent.envelope.id) === 1, 20_000);
    const captured = await capture(sent.seq);
    await host.stop();
    // Past the grace for clocks and messages in flight at the start (START_GRACE_MS).
    await sleep(5_100);
    host = await startHost({ agents: [alice(), defineAgent({ name: "Bob" })], config, logger });
    await replay(directSubject("Alice"), captured, "after-restart");
    await replay(directSubject("Alice"), captured, undefined);
    assert.ok((await replay(directSubject("Alice"), captured, sent.envelope.id)).duplicate, "JetStream's memory of ids outlives the host");
    const again = await rogue.nc.request(requestSubject("Alice"), requestData, { timeout: 5000, headers: requestHeaders });
    assert.equal(again.headers?.get(HEADERS.errorCode), ERROR_CODES.unverified);
    assert.match(again.headers?.get(HEADERS.error) ?? "", /signed before this process started/);
    await eventually("both mail copies refused", () => lines.filter((l) => l.includes('"mailbox.rejected"') && l.includes(sent.envelope.id)).length === 2, 20_000);
    await sleep(300);
    assert.equal(handledCount(sent.envelope.id), 1);
    assert.equal(handledCount(request.id), 1);
  });

  test("size: requests of the limit + 1 byte and of 4× the limit are answered too_large, unread and unhandled", async () => {
    for (const bytes of [LIMIT + 1, 4 * LIMIT]) {
      const { envelope, data } = rogueMail({ type: "request", to: "Alice" }, bytes);
      const answer = await rogue.nc.request(requestSubject("Alice"), data, { timeout: 5000, headers: rogue.signer.sign(data) });
      assert.equal(answer.headers?.get(HEADERS.errorCode), ERROR_CODES.tooLarge, `${bytes} bytes`);
      assert.match(answer.headers?.get(HEADERS.error) ?? "", new RegExp(`${bytes} bytes, over the ${LIMIT}-byte limit`));
      assert.equal(handledCount(envelope.id), 0);
    }
    const fits = rogueMail({ type: "request", to: "Alice" }, LIMIT);
    const answer = await rogue.nc.request(requestSubject("Alice"), fits.data, { timeout: 5000, headers: rogue.signer.sign(fits.data) });
    assert.equal(decodeEnvelope(answer.data).content, "ok", "exactly the limit is served");
  });

  test("size: mail of the limit + 1 byte is stored but never handled, and its sender gets a too_large notice; 4× the limit is refused by the stream", async () => {
    const over = rogueMail({ type: "direct", to: "Alice" }, LIMIT + 1);
    await rogue.js.publish(directSubject("Alice"), over.data, { msgID: over.envelope.id, headers: rogue.signer.sign(over.data) });
    let notice: Envelope | undefined;
    await eventually(
      "the notice in Rogue's mailbox",
      async () => {
        const m = await admin.jsm.streams.getMessage(config.stream, { last_by_subj: directSubject("Rogue") }).catch(() => null);
        notice = m ? decodeEnvelope(m.data) : undefined;
        return notice?.inReplyTo === over.envelope.id;
      },
      20_000,
    );
    assert.equal((notice!.metadata["error"] as { code: string }).code, ERROR_CODES.tooLarge);
    assert.ok(logged("mailbox.too_large", over.envelope.id, /.*/));
    assert.equal(handledCount(over.envelope.id), 0);
    const huge = rogueMail({ type: "direct", to: "Alice" }, 4 * LIMIT);
    await assert.rejects(rogue.js.publish(directSubject("Alice"), huge.data, { msgID: huge.envelope.id, headers: rogue.signer.sign(huge.data) }), /maximum|size/i);
  });

  test("size: a forged oversize message is terminated without a notice to the sender it names", async () => {
    const before = await admin.jsm.streams.getMessage(config.stream, { last_by_subj: directSubject("Bob") }).catch(() => null);
    const bare = encodeEnvelope(createEnvelope({ type: "direct", from: "Bob", to: "Alice", content: "" }));
    const forged = createEnvelope({ type: "direct", from: "Bob", to: "Alice", content: "x".repeat(LIMIT + 1 - bare.length) });
    const data = encodeEnvelope(forged);
    await rogue.js.publish(directSubject("Alice"), data, { msgID: forged.id, headers: rogue.signer.sign(data) });
    await eventually("the forgery refused", () => logged("mailbox.rejected", forged.id, /not a registered key of "Bob"/), 20_000);
    const after = await admin.jsm.streams.getMessage(config.stream, { last_by_subj: directSubject("Bob") }).catch(() => null);
    assert.equal(after?.seq, before?.seq, "nothing was sent to Bob");
  });
});
