// A burst of mail from senders the verifier has not looked up yet is checked later, never terminated as forged.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { defineAgent } from "../../src/agent/define.ts";
import { startHost, type Host } from "../../src/agent/host.ts";
import { loadConfig } from "../../src/config/config.ts";
import { NatterError } from "../../src/errors.ts";
import { createLogger } from "../../src/logger.ts";
import { decodeEnvelope } from "../../src/protocol/envelope.ts";
import { Verifier } from "../../src/security/verify.ts";
import { startServer, type TestServer } from "../helpers/nats-server.ts";

const SENDERS = 30;
let srv: TestServer;
let host: Host;

before(async () => {
  srv = await startServer();
  const config = loadConfig({ NATS_URL: srv.url, NATTER_VERIFY: "enforce", NATTER_LOG_LEVEL: "silent", NATTER_HEARTBEAT_MS: "60000" });
  host = await startHost({ agents: Array.from({ length: SENDERS }, (_, i) => defineAgent({ name: `Sender${i}` })), config });
});

after(async () => {
  await host?.stop();
  await srv?.dispose();
});

test("verify: mail from more new senders than the look-up budget is handed back for later, not refused", async () => {
  // Every sender mails "Sink" (not running, so the mail waits in the stream) from its own signed, registered identity.
  const sent = await Promise.all(host.agents.map((a) => a.context.sendDirectMessage("Sink", `from ${a.name}`)));
  // A verifier that has not followed the registry: each sender costs it a registry look-up, as on a host that
  // starts while a swarm of new agents mails it.
  const verifier = new Verifier(host.bus.registry, host.bus.config, createLogger({ level: "silent" }));
  const outcomes = await Promise.all(
    sent.map(async ({ seq }) => {
      const stored = (await host.bus.jsm.streams.getMessage(host.bus.config.stream, { seq }))!;
      return verifier
        .check(decodeEnvelope(stored.data), stored.data, stored.header, { at: stored.time, once: false, stored: { seq, deliveryCount: 1 } })
        .then((refused) => (refused === undefined ? "accepted" : `refused: ${refused}`))
        .catch((err: unknown) => (err instanceof NatterError && err.code === "unavailable" ? "later" : `error: ${String(err)}`));
    }),
  );
  assert.deepEqual(outcomes.filter((o) => o !== "accepted" && o !== "later"), [], "no genuine message refused");
  assert.ok(outcomes.filter((o) => o === "accepted").length >= 1);
  assert.ok(outcomes.includes("later"), "the budget was exceeded, so some were deferred");
});
